//! Every text parser of the inventory on arbitrary input: card front
//! matter, model configs, MCP configs, code, endpoints, infrastructure,
//! keys, inventory/BOM loading for diff, sniffing. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_inventory::{cards, code, diff, endpoints, infra, keys, mcp, sniff};

fuzz_target!(|data: &[u8]| {
    let _ = sniff::sniff(data, "x.bin", data.len() as u64);
    let _ = sniff::looks_binary(data);
    let text = String::from_utf8_lossy(data);
    let _ = cards::parse_front_matter(&text);
    let _ = cards::parse_config(&text);
    let _ = mcp::parse(&text, "mcp.json");
    let _ = code::analyze(&text, "f.py", false);
    let _ = code::analyze(&text, "f.ts", true);
    let _ = endpoints::find(&text, ".env");
    let _ = infra::terraform(&text, "main.tf");
    let _ = infra::compose(&text, "docker-compose.yml");
    let _ = infra::kubernetes(&text, "k.yaml");
    let _ = keys::find_keys(&text);
    let _ = diff::load(&text);
    let mut hits = Vec::new();
    rampart_inventory::data::pii::find(&text, &mut hits);
    let _ = rampart_inventory::data::pii::redact(&text, &hits);
});
