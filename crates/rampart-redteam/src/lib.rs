//! Rampart's red-team harness: probes, mutations, targets, judges, reports and CI gates.
