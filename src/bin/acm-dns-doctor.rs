//! The CLI: `acm-dns-doctor check ARN...`.

use acm_dns_doctor::dns::DnsConfig;
use acm_dns_doctor::engine::Doctor;
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// Why an ACM certificate is stuck in Pending validation, and the exact fix.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check these certificates (AWS region, credentials and endpoint from the standard AWS environment).
    Check {
        /// Certificate ARNs.
        #[arg(required = true)]
        arns: Vec<String>,
        #[command(flatten)]
        opts: Opts,
    },
    /// Check every certificate in PENDING_VALIDATION (all key types), like the Lambda's scheduled sweep.
    Sweep {
        #[command(flatten)]
        opts: Opts,
    },
}

#[derive(clap::Args, Debug)]
struct Opts {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Recursive resolver for the public view, IP or IP:PORT (repeatable; default 1.1.1.1 and 8.8.8.8).
    #[arg(long = "resolver", value_parser = parse_resolver)]
    resolvers: Vec<SocketAddr>,
    /// Port of the authoritative servers discovered through NS records.
    #[arg(long, default_value_t = 53)]
    dns_port: u16,
    /// Timeout of one DNS question, milliseconds.
    #[arg(long, default_value_t = 1500)]
    dns_timeout_ms: u64,
    /// Certificates checked at once.
    #[arg(long, default_value_t = 4)]
    max_concurrency: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_resolver(s: &str) -> Result<SocketAddr, String> {
    acm_dns_doctor::dns::parse_server(s)
}

impl Opts {
    fn dns(&self) -> DnsConfig {
        let mut cfg = DnsConfig::default();
        if !self.resolvers.is_empty() {
            cfg.resolvers = self.resolvers.clone();
        }
        cfg.auth_port = self.dns_port;
        cfg.timeout = Duration::from_millis(self.dns_timeout_ms);
        cfg
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let (arns, opts) = match cli.command {
        Command::Check { arns, opts } => (Some(arns), opts),
        Command::Sweep { opts } => (None, opts),
    };
    let sdk = acm_dns_doctor::aws::load_config().await;
    let mut doctor = Doctor::new(&sdk, opts.dns());
    doctor.max_concurrency = opts.max_concurrency;
    let report = match arns {
        Some(arns) => doctor.check(&arns).await,
        None => match acm_dns_doctor::handler::sweep_report(&doctor).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    match opts.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", report.to_json()),
    }
    for c in report.certificates.iter().filter(|c| c.error.is_some()) {
        eprintln!(
            "error: {}: {}",
            c.certificate_arn,
            c.error.as_deref().unwrap_or_default()
        );
    }
    ExitCode::from(report.exit_code() as u8)
}
