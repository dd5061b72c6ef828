//! Tool-call governance: every tool call a model proposes is checked against
//! the key's `tools` scope and, when configured, a Cedar policy before it
//! reaches the client. Denied calls are removed and reported with a reason.
//!
//! The Cedar request is `principal = Key::"<key id>"`, `action =
//! Action::"call"`, `resource = Tool::"<tool name>"`, with context
//! `{ tenant, model, arguments_bytes }`. Cedar denies unless a `permit`
//! matches and no `forbid` does, so a policy file is deny-by-default.

use crate::auth::Principal;
use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request,
};
use std::str::FromStr;

pub struct ToolPolicy {
    policies: Option<PolicySet>,
    authorizer: Authorizer,
}

/// The verdict on one tool call.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ToolDecision {
    pub name: String,
    pub allowed: bool,
    pub reason: String,
}

impl ToolPolicy {
    /// Parse a Cedar policy set (`None`: scopes only).
    pub fn new(src: Option<&str>) -> Result<ToolPolicy, String> {
        let policies = match src {
            Some(s) => {
                Some(PolicySet::from_str(s).map_err(|e| format!("invalid Cedar policy: {e}"))?)
            }
            None => None,
        };
        Ok(ToolPolicy {
            policies,
            authorizer: Authorizer::new(),
        })
    }

    pub fn decide(
        &self,
        who: &Principal,
        model: &str,
        tool: &str,
        args_len: usize,
    ) -> ToolDecision {
        let name =
            rampart_core::redact::truncate(&rampart_core::redact::sanitize_for_display(tool), 64);
        if !who.may_call_tool(tool) {
            return ToolDecision {
                name,
                allowed: false,
                reason: "tool not in the key's scope".into(),
            };
        }
        let Some(ps) = &self.policies else {
            return ToolDecision {
                name,
                allowed: true,
                reason: "allowed by the key's scope".into(),
            };
        };
        match self.cedar(ps, who, model, tool, args_len) {
            Ok((true, why)) => ToolDecision {
                name,
                allowed: true,
                reason: format!("permitted by Cedar policy {why}"),
            },
            Ok((false, why)) => ToolDecision {
                name,
                allowed: false,
                reason: if why.is_empty() {
                    "no Cedar policy permits this call".into()
                } else {
                    format!("forbidden by Cedar policy {why}")
                },
            },
            Err(e) => ToolDecision {
                name,
                allowed: false,
                reason: format!("Cedar evaluation failed: {e}"),
            },
        }
    }

    fn cedar(
        &self,
        ps: &PolicySet,
        who: &Principal,
        model: &str,
        tool: &str,
        args_len: usize,
    ) -> Result<(bool, String), String> {
        let uid = |ty: &str, id: &str| -> Result<EntityUid, String> {
            let t = EntityTypeName::from_str(ty).map_err(|e| e.to_string())?;
            Ok(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
        };
        let ctx = Context::from_json_value(
            serde_json::json!({
                "tenant": who.tenant,
                "model": model,
                "arguments_bytes": args_len as i64,
            }),
            None,
        )
        .map_err(|e| e.to_string())?;
        let req = Request::new(
            uid("Key", &who.id)?,
            uid("Action", "call")?,
            uid("Tool", tool)?,
            ctx,
            None,
        )
        .map_err(|e| e.to_string())?;
        let resp = self.authorizer.is_authorized(&req, ps, &Entities::empty());
        let ids: Vec<String> = resp
            .diagnostics()
            .reason()
            .map(|p| {
                let label = ps
                    .policy(p)
                    .and_then(|pol| pol.annotation("id").map(str::to_string))
                    .unwrap_or_else(|| p.to_string());
                format!("`{label}`")
            })
            .collect();
        Ok((resp.decision() == Decision::Allow, ids.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{hash_key, KeyStore};
    use crate::config::{AuthConfig, KeyConfig};

    fn principal(tools: &[&str]) -> std::sync::Arc<Principal> {
        let ks = KeyStore::new(
            &AuthConfig::default(),
            &[KeyConfig {
                id: "app1".into(),
                hash: hash_key("k", None),
                tenant: "acme".into(),
                models: vec!["*".into()],
                tools: tools.iter().map(|s| s.to_string()).collect(),
                max_tokens: None,
                expires: None,
                requests_per_minute: None,
                tokens_per_minute: None,
            }],
            None,
        )
        .unwrap();
        ks.authenticate(Some("k")).unwrap()
    }

    #[test]
    fn scope_then_cedar() {
        let p = principal(&["get_weather", "send_email", "delete_*"]);
        let pol = ToolPolicy::new(Some(
            r#"
            @id("weather-for-all")
            permit(principal, action == Action::"call", resource == Tool::"get_weather");
            @id("email-acme")
            permit(principal, action == Action::"call", resource == Tool::"send_email")
              when { context.tenant == "acme" };
            @id("no-big-emails")
            forbid(principal, action, resource == Tool::"send_email")
              when { context.arguments_bytes > 1000 };
            "#,
        ))
        .unwrap();
        assert!(pol.decide(&p, "m", "get_weather", 10).allowed);
        assert!(pol.decide(&p, "m", "send_email", 10).allowed);
        let d = pol.decide(&p, "m", "send_email", 5000);
        assert!(!d.allowed);
        assert!(d.reason.contains("no-big-emails"), "{}", d.reason);
        let d = pol.decide(&p, "m", "delete_user", 1);
        assert!(!d.allowed, "in scope but no permit: deny by default");
        let d = pol.decide(&p, "m", "exec_shell", 1);
        assert!(!d.allowed);
        assert!(d.reason.contains("scope"));
    }

    #[test]
    fn bad_policy_is_an_error() {
        assert!(ToolPolicy::new(Some("permit(principal action resource)")).is_err());
    }
}
