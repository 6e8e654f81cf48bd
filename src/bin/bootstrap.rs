//! The Lambda function: clients built once, then one handler for every trigger.

use acm_dns_doctor::config::Config;
use acm_dns_doctor::handler::{State, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env().map_err(|e| {
        lambda_runtime::tracing::error!(error = %e, "bad configuration");
        e
    })?;
    let sdk = acm_dns_doctor::aws::load_config().await;
    let state = State::new(&sdk, config);
    let state = &state;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler(state, event).await
    }))
    .await
}
