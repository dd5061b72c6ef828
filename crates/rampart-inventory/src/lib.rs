//! AI asset inventory, CycloneDX 1.6 AI bill of materials, dataset provenance ledger and dataset checks.
