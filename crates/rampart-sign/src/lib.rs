//! Model signing and verification compatible with OpenSSF model signing: manifests, parallel hashing, DSSE and Sigstore bundles.
