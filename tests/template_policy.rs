//! The function's IAM policy in `template.yaml` lists exactly the AWS API calls the code makes
//! (plus the two KMS actions needed to publish to the encrypted topic), with no wildcard actions.
//!
//! Both sides are read as text (std only): the SDK operation calls in `src/aws/*.rs`, and the
//! one-action-per-line list items under `DoctorFunction`'s `Policies:`.

use std::collections::BTreeSet;

/// Each adapter file with the IAM service prefix of its SDK client.
const SOURCES: [(&str, &str); 4] = [
    (
        "acm",
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/acm.rs"),
    ),
    (
        "route53",
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/route53.rs"),
    ),
    (
        "sns",
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/sns.rs"),
    ),
    (
        "sqs",
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/sqs.rs"),
    ),
];

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");

/// Not API calls in the code, but needed: SNS encrypts with the topic's key on the publisher's behalf.
const KMS_ACTIONS: [&str; 2] = ["kms:Decrypt", "kms:GenerateDataKey"];

/// Methods of an SDK `Client` that are not operations.
const CLIENT_METHODS: [&str; 2] = ["clone", "config"];

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Drops `//` comments (naively: to the end of the line), so prose never counts as a call.
fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `describe_certificate` -> `DescribeCertificate`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Every `client.<op>()` / `self.client.<op>()` (whitespace and line breaks allowed anywhere
/// between the tokens), as snake_case operation names. Builder setters take arguments, so an
/// empty `()` right after `client` is an operation.
fn operations(src: &str) -> BTreeSet<String> {
    let src = strip_comments(src);
    let mut ops = BTreeSet::new();
    let mut from = 0;
    while let Some(i) = src[from..].find("client") {
        let start = from + i;
        let end = start + "client".len();
        from = end;
        // A whole word: `client`, not `sqs_client` or `clients`.
        if src[..start].chars().next_back().is_some_and(is_ident)
            || src[end..].chars().next().is_some_and(is_ident)
        {
            continue;
        }
        let mut rest = src[end..].trim_start();
        // Paced calls: `client.ready("service:Action").await.<op>()`; the action named for the
        // pace must be the operation's own.
        let mut paced_as: Option<&str> = None;
        if let Some(r) = rest.strip_prefix(".ready(\"")
            && let Some(q) = r.find('"')
            && let Some(after) = r[q..].strip_prefix("\")")
            && let Some(after) = after.trim_start().strip_prefix(".await")
        {
            paced_as = Some(&r[..q]);
            rest = after.trim_start();
        } else if rest.starts_with(".ready(") {
            // `ready(ACTION)` with a constant: the constant is checked where it is defined.
            if let Some(close) = rest.find(')')
                && let Some(after) = rest[close + 1..].trim_start().strip_prefix(".await")
            {
                rest = after.trim_start();
            }
        }
        let Some(rest) = rest.strip_prefix('.') else {
            continue;
        };
        let rest = rest.trim_start();
        let name_len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        let name = &rest[..name_len];
        let Some(args) = rest[name_len..].trim_start().strip_prefix('(') else {
            continue;
        };
        if name.is_empty() || !args.trim_start().starts_with(')') {
            continue;
        }
        if !CLIENT_METHODS.contains(&name) {
            if let Some(action) = paced_as {
                let op = action.split(':').nth(1).unwrap_or_default();
                assert_eq!(
                    op,
                    pascal(name),
                    "`{name}` is paced as {action:?}: the pace must name the call it guards"
                );
            }
            ops.insert(name.to_owned());
        }
    }
    ops
}

/// The IAM actions the code needs, from its SDK calls, plus [`KMS_ACTIONS`].
fn code_actions() -> BTreeSet<String> {
    let mut actions: BTreeSet<String> = KMS_ACTIONS
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    for (service, path) in SOURCES {
        let src = read(path);
        let ops = operations(&src);
        assert!(
            !ops.is_empty(),
            "{path}: found no `client.<operation>()` call; has the calling style changed? \
             (then update tests/template_policy.rs)"
        );
        actions.extend(ops.iter().map(|op| format!("{service}:{}", pascal(op))));
    }
    actions
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Meaningful lines only (no blank or comment-only lines), with their 1-based numbers.
fn yaml_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// Indentation of the key on `line` (`- Key:` puts the key two columns right of the dash).
fn key_indent(line: &str) -> usize {
    indent(line)
        + if line.trim_start().starts_with("- ") {
            2
        } else {
            0
        }
}

/// The lines nested under the key on line `at` (deeper indentation), up to its next sibling or parent.
fn block<'a>(lines: &'a [(usize, &'a str)], at: usize) -> &'a [(usize, &'a str)] {
    let base = key_indent(lines[at].1);
    let len = lines[at + 1..]
        .iter()
        .take_while(|(_, l)| indent(l) > base)
        .count();
    &lines[at + 1..at + 1 + len]
}

fn find_key(lines: &[(usize, &str)], key: &str, at_indent: Option<usize>) -> Option<usize> {
    lines
        .iter()
        .position(|(_, l)| l.trim() == key && at_indent.is_none_or(|want| indent(l) == want))
}

/// `- service:Action` (quotes and a trailing comment allowed) -> `service:Action`.
fn list_action(line: &str) -> Option<String> {
    let item = line.trim().strip_prefix("- ")?;
    let item = item.split(" #").next().unwrap_or(item).trim();
    let item = item.trim_matches(|c| c == '"' || c == '\'');
    let (service, action) = item.split_once(':')?;
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let action_ok = !action.is_empty()
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
    (service_ok && action_ok).then(|| item.to_owned())
}

/// The actions listed under `Resources: DoctorFunction: Properties: Policies:`.
fn template_actions() -> BTreeSet<String> {
    let text = read(TEMPLATE);
    let lines = yaml_lines(&text);
    let resources = find_key(&lines, "Resources:", Some(0)).expect("template.yaml: no Resources:");
    let resources = block(&lines, resources);
    let function = find_key(resources, "DoctorFunction:", None)
        .expect("template.yaml: no DoctorFunction under Resources");
    let function = block(resources, function);
    let properties = find_key(function, "Properties:", None)
        .expect("template.yaml: DoctorFunction has no Properties");
    let properties = block(function, properties);
    let policies = find_key(properties, "Policies:", None)
        .expect("template.yaml: DoctorFunction has no Policies");
    let policies = block(properties, policies);
    assert!(
        !policies.is_empty(),
        "template.yaml: DoctorFunction's Policies is empty"
    );

    // Only inline statements: a managed policy, a SAM policy template or a policy document given
    // any other way would grant actions this scan cannot see.
    let item_indent = indent(policies[0].1);
    for (n, l) in policies.iter().filter(|(_, l)| indent(l) == item_indent) {
        assert_eq!(
            l.trim(),
            "- Statement:",
            "template.yaml:{n}: each item of DoctorFunction's Policies must be an inline \
             `- Statement:` list (found `{}`)",
            l.trim()
        );
    }

    let mut actions = BTreeSet::new();
    for (i, (n, l)) in policies.iter().enumerate() {
        let t = l.trim().trim_start_matches("- ");
        assert!(
            !t.starts_with("NotAction:"),
            "template.yaml:{n}: NotAction grants everything else: list actions instead"
        );
        if let Some(value) = t.strip_prefix("Action:") {
            // Block list only, one action per line, so that every action is seen here.
            assert!(
                value.trim().is_empty() || value.trim_start().starts_with('#'),
                "template.yaml:{n}: write `Action:` as a block list, one `- service:Action` per line \
                 (found `{}`)",
                l.trim()
            );
            let items = block(policies, i);
            assert!(
                !items.is_empty(),
                "template.yaml:{n}: `Action:` lists no actions"
            );
            for (m, item) in items {
                let action = list_action(item).unwrap_or_else(|| {
                    panic!(
                        "template.yaml:{m}: expected `- service:Action`, found `{}`",
                        item.trim()
                    )
                });
                actions.insert(action);
            }
        }
    }
    actions
}

#[test]
fn function_policy_lists_exactly_the_calls_the_code_makes() {
    let code = code_actions();
    // The function's own policy, and the Route 53 writes it gets only with AutoFix=apply.
    let mut template = template_actions();
    template.extend(resource_actions(TEMPLATE, "FixPolicy").0);

    let wildcards: Vec<_> = template
        .iter()
        .filter(|a| a.contains('*') || a.contains('?'))
        .collect();
    assert!(
        wildcards.is_empty(),
        "template.yaml grants wildcard actions {wildcards:?}: list each API call instead"
    );

    let missing: Vec<_> = code.difference(&template).collect();
    let extra: Vec<_> = template.difference(&code).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "DoctorFunction's Policies in template.yaml differ from the API calls in src/aws/*.rs (+ {KMS_ACTIONS:?}):\n  \
         called by the code but not granted (add to the template): {missing:?}\n  \
         granted but never called (remove from the template, or it is called in a way this test \
         does not recognise): {extra:?}\n  code: {code:?}\n  template: {template:?}"
    );
}

#[test]
fn scanner_reads_calls_across_lines_and_ignores_setters() {
    let src = "
        let a = client
            .describe_certificate()
            .certificate_arn(arn)
            .send();
        let b = self.client.list_hosted_zones().set_marker(m);
        let c = self
            .client
            .get_hosted_zone ( )
            .id(&zone.id);
        // client.delete_certificate() in a comment is not a call
        list_zones(&self.client);
        let d = self.client.clone();
        let e = other_client.delete_hosted_zone();
        let f = client.publish().topic_arn(t);
        fn g(client: &Client) {}
    ";
    let ops: Vec<_> = operations(src).into_iter().collect();
    assert_eq!(
        ops,
        [
            "describe_certificate",
            "get_hosted_zone",
            "list_hosted_zones",
            "publish"
        ]
    );
    assert_eq!(
        pascal("list_resource_record_sets"),
        "ListResourceRecordSets"
    );
    assert_eq!(
        list_action("  - \"kms:GenerateDataKey*\" # why"),
        Some("kms:GenerateDataKey*".into())
    );
    assert_eq!(list_action("- Effect: Allow"), None);
    assert_eq!(
        list_action("- !Sub arn:${AWS::Partition}:route53:::hostedzone/*"),
        None
    );
    assert_eq!(list_action("- arn:aws:sns:us-east-1:1:t"), None);
}

/// The actions of the statements under `Resources: NAME: Properties: PolicyDocument:` (or
/// `Policies:`) of `file`, with the resource's `Condition:` if it has one.
fn resource_actions(file: &str, name: &str) -> (BTreeSet<String>, Option<String>) {
    let text = read(file);
    let lines = yaml_lines(&text);
    let resources = find_key(&lines, "Resources:", Some(0)).expect("no Resources:");
    let resources = block(&lines, resources);
    let at = find_key(resources, &format!("{name}:"), None)
        .unwrap_or_else(|| panic!("{file}: no {name} under Resources"));
    let resource = block(resources, at);
    let condition = resource
        .iter()
        .find_map(|(_, l)| l.trim().strip_prefix("Condition: ").map(str::to_owned));
    let mut actions = BTreeSet::new();
    for (i, (_, l)) in resource.iter().enumerate() {
        if l.trim() == "Action:" {
            for (_, item) in block(resource, i) {
                actions.extend(list_action(item));
            }
        }
    }
    (actions, condition)
}

#[test]
fn member_roles_are_assumed_only_when_given_and_grant_the_function_s_reads() {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");
    let member = concat!(env!("CARGO_MANIFEST_DIR"), "/member-role.yaml");
    // The function may assume exactly the roles given, and only when some are.
    let (assume, condition) = resource_actions(template, "MemberRolesPolicy");
    assert_eq!(assume.into_iter().collect::<Vec<_>>(), ["sts:AssumeRole"]);
    assert_eq!(condition.as_deref(), Some("HasMemberRoles"));
    let text = read(template);
    assert!(text.contains("Resource: !Split [\",\", !Ref MemberRoleArns]"));
    assert!(
        read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/fleet.rs"))
            .contains("AssumeRoleProvider"),
        "the code no longer assumes roles: remove MemberRolesPolicy"
    );
    // A member role grants what the function reads in its own account: ACM and Route 53.
    let (granted, _) = resource_actions(member, "MemberRole");
    let own: BTreeSet<String> = template_actions()
        .into_iter()
        .filter(|a| a.starts_with("acm:") || a.starts_with("route53:"))
        .collect();
    assert_eq!(granted, own);
    // It trusts only the doctor's role (a parameter), with the external id when one is set.
    let text = read(member);
    assert!(text.contains("AWS: !Ref DoctorRoleArn"), "{member}");
    assert!(text.contains("sts:ExternalId: !Ref ExternalId"), "{member}");
    assert!(!text.contains("Principal: \"*\""), "{member}");
}

#[test]
fn tag_writes_are_limited_to_the_doctor_s_own_tags() {
    for file in [
        concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/member-role.yaml"),
    ] {
        let text = read(file);
        let at = text
            .find("Sid: WriteOwnTags")
            .unwrap_or_else(|| panic!("{file}: no WriteOwnTags"));
        let statement: String = text[at..].lines().take(14).collect::<Vec<_>>().join("\n");
        for want in [
            "acm:AddTagsToCertificate",
            "acm:RemoveTagsFromCertificate",
            "ForAllValues:StringEquals:",
            "aws:TagKeys:",
            "- acm-dns-doctor:alerted",
            "- acm-dns-doctor:problems",
        ] {
            assert!(
                statement.contains(want),
                "{file}: {want} missing in\n{statement}"
            );
        }
        // And nowhere else.
        assert_eq!(
            text.matches("acm:AddTagsToCertificate").count(),
            1,
            "{file}"
        );
    }
    let code = read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/acm.rs"));
    assert!(
        code.contains("\"acm-dns-doctor:alerted\"") && code.contains("\"acm-dns-doctor:problems\"")
    );
}

#[test]
fn route53_writes_exist_only_with_auto_fix_apply_and_only_for_validation_cnames() {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");
    let (actions, condition) = resource_actions(template, "FixPolicy");
    assert_eq!(condition.as_deref(), Some("AutoFixApplies"));
    assert_eq!(
        actions.into_iter().collect::<Vec<_>>(),
        ["route53:ChangeResourceRecordSets", "route53:GetChange"]
    );
    let text = read(template);
    assert!(text.contains("AutoFixApplies: !Equals [!Ref AutoFix, \"apply\"]"));
    let at = text.find("Sid: UpsertValidationCnames").unwrap();
    let statement: String = text[at..].lines().take(16).collect::<Vec<_>>().join("\n");
    for want in [
        "Resource: !Sub arn:${AWS::Partition}:route53:::hostedzone/*",
        "ForAllValues:StringEquals:",
        "route53:ChangeResourceRecordSetsRecordTypes:\n                  - CNAME\n",
        "route53:ChangeResourceRecordSetsActions:\n                  - UPSERT\n",
        "ForAllValues:StringLike:",
        "route53:ChangeResourceRecordSetsNormalizedRecordNames:\n                  - \"_????????????????????????????????.*\"",
    ] {
        assert!(statement.contains(want), "{want:?} missing in\n{statement}");
    }
    // The CLI's policies: `fix --apply` upserts ACM's CNAMEs only; `--delete-wrong` adds DELETE
    // and TXT (the near-miss and doubled names it deletes start with an underscore too).
    for (file, types, actions, names) in [
        (
            "fix-policy.json",
            serde_json::json!(["CNAME"]),
            serde_json::json!(["UPSERT"]),
            serde_json::json!(["_????????????????????????????????.*"]),
        ),
        (
            "fix-delete-wrong-policy.json",
            serde_json::json!(["CNAME", "TXT"]),
            serde_json::json!(["UPSERT", "DELETE"]),
            serde_json::json!(["_*"]),
        ),
    ] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let cli: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        let write = cli["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Action"][0] == "route53:ChangeResourceRecordSets")
            .unwrap();
        let c = &write["Condition"];
        assert_eq!(
            c["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"], types,
            "{file}"
        );
        assert_eq!(
            c["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsActions"], actions,
            "{file}"
        );
        assert_eq!(
            c["ForAllValues:StringLike"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"],
            names,
            "{file}"
        );
    }
}
