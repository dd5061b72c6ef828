//! Model-artifact and secret scanning: format sniffing, the pickle machine, archive walking, per-format scanners.
