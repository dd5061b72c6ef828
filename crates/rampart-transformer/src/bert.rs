//! A BERT encoder in candle: embeddings, then post-norm transformer layers,
//! as Hugging Face's `BertModel` computes them (f32, inference only). Kept
//! here rather than taken from candle-transformers, whose hundred other
//! models cost minutes of compile time for this one.

use crate::Error;
use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

/// The fields of a Hugging Face BERT `config.json` the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    #[serde(default = "default_types")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_types() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

#[derive(Clone, Copy)]
enum Act {
    GeluErf,
    GeluTanh,
    Relu,
}

impl BertConfig {
    /// Reject what the encoder does not implement, naming the field.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(format!(
                "field `hidden_size` {} is not a multiple of `num_attention_heads` {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if let Some(p) = &self.position_embedding_type {
            if p != "absolute" {
                return Err(format!(
                    "field `position_embedding_type`: `{p}` is not supported (absolute only)"
                ));
            }
        }
        act(&self.hidden_act).map(|_| ())
    }
}

fn act(name: &str) -> std::result::Result<Act, String> {
    match name {
        // transformers' "gelu" is the exact (erf) form.
        "gelu" => Ok(Act::GeluErf),
        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Act::GeluTanh),
        "relu" => Ok(Act::Relu),
        o => Err(format!("field `hidden_act`: `{o}` is not supported")),
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    ln_attn: LayerNorm,
    inter: Linear,
    out: Linear,
    ln_out: LayerNorm,
}

/// The encoder.
pub struct Bert {
    word: Embedding,
    pos: Embedding,
    types: Embedding,
    ln: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    act: Act,
    max_pos: usize,
}

impl Bert {
    /// Load from `vb` rooted at the encoder (`embeddings.*`, `encoder.*`).
    pub fn load(vb: VarBuilder, c: &BertConfig) -> std::result::Result<Bert, Error> {
        c.check().map_err(Error::Inference)?;
        let h = c.hidden_size;
        let e = |r: Result<Bert>| r.map_err(|e| Error::Inference(e.to_string()));
        e((|| {
            let emb = vb.pp("embeddings");
            let ln = |vb: VarBuilder| candle_nn::layer_norm(h, c.layer_norm_eps, vb);
            let mut layers = Vec::with_capacity(c.num_hidden_layers);
            for i in 0..c.num_hidden_layers {
                let l = vb.pp(format!("encoder.layer.{i}"));
                let att = l.pp("attention");
                layers.push(Layer {
                    q: candle_nn::linear(h, h, att.pp("self.query"))?,
                    k: candle_nn::linear(h, h, att.pp("self.key"))?,
                    v: candle_nn::linear(h, h, att.pp("self.value"))?,
                    o: candle_nn::linear(h, h, att.pp("output.dense"))?,
                    ln_attn: ln(att.pp("output.LayerNorm"))?,
                    inter: candle_nn::linear(h, c.intermediate_size, l.pp("intermediate.dense"))?,
                    out: candle_nn::linear(c.intermediate_size, h, l.pp("output.dense"))?,
                    ln_out: ln(l.pp("output.LayerNorm"))?,
                });
            }
            Ok(Bert {
                word: candle_nn::embedding(c.vocab_size, h, emb.pp("word_embeddings"))?,
                pos: candle_nn::embedding(
                    c.max_position_embeddings,
                    h,
                    emb.pp("position_embeddings"),
                )?,
                types: candle_nn::embedding(c.type_vocab_size, h, emb.pp("token_type_embeddings"))?,
                ln: ln(emb.pp("LayerNorm"))?,
                layers,
                heads: c.num_attention_heads,
                act: act(&c.hidden_act).expect("checked above"),
                max_pos: c.max_position_embeddings,
            })
        })())
    }

    /// Hidden states `(batch, tokens, hidden)` for `ids` `(batch, tokens)`
    /// (u32) with `mask` (1 = token, 0 = padding), all token types 0.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        if t > self.max_pos {
            candle_core::bail!(
                "{t} tokens exceed the {} positions of the model",
                self.max_pos
            );
        }
        let dev = ids.device();
        let pos = Tensor::arange(0u32, t as u32, dev)?;
        let mut x = self
            .word
            .forward(ids)?
            .broadcast_add(&self.pos.forward(&pos)?)?
            .broadcast_add(&self.types.forward(&Tensor::zeros(1, DType::U32, dev)?)?)?;
        x = self.ln.forward(&x)?;
        // Padding gets a large negative attention bias, so it has no weight.
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?.reshape((b, 1, 1, t))?;
        let hd = x.dim(D::Minus1)? / self.heads;
        let scale = 1.0 / (hd as f64).sqrt();
        let split = |y: Tensor| -> Result<Tensor> {
            y.reshape((b, t, self.heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        for l in &self.layers {
            let q = split(l.q.forward(&x)?)?;
            let k = split(l.k.forward(&x)?)?;
            let v = split(l.v.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((
                b,
                t,
                self.heads * hd,
            ))?;
            let a = l.ln_attn.forward(&(l.o.forward(&ctx)? + &x)?)?;
            let i = l.inter.forward(&a)?;
            let i = match self.act {
                Act::GeluErf => i.gelu_erf()?,
                Act::GeluTanh => i.gelu()?,
                Act::Relu => i.relu()?,
            };
            x = l.ln_out.forward(&(l.out.forward(&i)? + &a)?)?;
        }
        Ok(x)
    }
}
