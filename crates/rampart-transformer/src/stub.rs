//! The model API of a build without the `candle` feature: the same names,
//! but [`TransformerModel::load`] always fails with [`Error::NotBuilt`].

use crate::{Error, ModelKind};
use std::ops::Range;
use std::path::Path;

/// One window of a text (see the `candle` build).
#[derive(Debug, Clone)]
pub struct Window {
    pub ids: Vec<u32>,
    pub bytes: Range<usize>,
}

enum Never {}

/// A loaded model directory; cannot exist in this build.
pub struct TransformerModel {
    never: Never,
}

impl TransformerModel {
    pub fn load(_dir: &Path) -> Result<TransformerModel, Error> {
        Err(Error::NotBuilt)
    }
    pub fn dir(&self) -> &Path {
        match self.never {}
    }
    pub fn kind(&self) -> ModelKind {
        match self.never {}
    }
    pub fn dim(&self) -> usize {
        match self.never {}
    }
    pub fn max_tokens(&self) -> usize {
        match self.never {}
    }
    pub fn files(&self) -> &[(String, String)] {
        match self.never {}
    }
    pub fn weights_sha256(&self) -> &str {
        match self.never {}
    }
    pub fn tokenize(&self, _text: &str) -> Result<Vec<u32>, Error> {
        match self.never {}
    }
    pub fn windows(&self, _text: &str) -> Result<Vec<Window>, Error> {
        match self.never {}
    }
    pub fn scoring_windows(&self, _text: &str) -> Result<Vec<Window>, Error> {
        match self.never {}
    }
    pub fn embed_windows(&self, _wins: &[&[u32]]) -> Result<Vec<Vec<f32>>, Error> {
        match self.never {}
    }
    #[allow(clippy::type_complexity)]
    pub fn embed_scoring(
        &self,
        _text: &str,
    ) -> Result<(std::sync::Arc<Vec<Window>>, std::sync::Arc<Vec<Vec<f32>>>), Error> {
        match self.never {}
    }
    pub fn embed(&self, _text: &str) -> Result<Vec<Vec<f32>>, Error> {
        match self.never {}
    }
    pub fn classify_windows(&self, _wins: &[&[u32]]) -> Result<Vec<f32>, Error> {
        match self.never {}
    }
}
