//! The conversation vocabulary shared by probes, strategies, targets and
//! judges: messages, declared tools, tool calls, a target's reply, and the
//! [`Script`] that one execution sends.

use serde::{Deserialize, Serialize};

/// One chat message. `tool_calls` is set on assistant messages that called
/// tools; `tool_call_id` on `tool` messages that answer such a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Message {
            role: role.to_string(),
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Message::new("user", content)
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Message::new("assistant", content)
    }
}

/// A (fake) tool declared to the target, in OpenAI function-calling shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// JSON schema of the arguments.
    pub parameters: serde_json::Value,
}

/// A tool call made by the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// The raw argument string (usually JSON).
    #[serde(default)]
    pub arguments: String,
}

/// What a target answered to one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Completion tokens when the target reports usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
}

/// Everything one execution sends: a system prompt, declared tools, fixed
/// prior messages, then the user turns sent one after another (each reply is
/// appended before the next turn). With no user turns the history is sent
/// once as it is (e.g. it ends with a tool result).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Script {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Message>,
    pub user_turns: Vec<String>,
}

impl Script {
    /// The messages of the first request (system, history, first user turn).
    pub fn initial_messages(&self) -> Vec<Message> {
        let mut m = Vec::with_capacity(self.history.len() + 2);
        if let Some(s) = &self.system {
            m.push(Message::new("system", s.clone()));
        }
        m.extend(self.history.iter().cloned());
        m
    }

    /// All attacker-controlled text in the script (used to tell an echo of
    /// the attack from a genuine leak).
    pub fn attack_text(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.user_turns.iter().map(|s| s.as_str()).collect();
        for m in &self.history {
            if m.role == "user" || m.role == "tool" {
                v.push(&m.content);
            }
        }
        v
    }
}
