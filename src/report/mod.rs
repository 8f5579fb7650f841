//! Reports for people: the weekly chart of replies vs broadcasts (`chart`), drawn on a small
//! pixel canvas with a built-in bitmap font. Reads no store and sends nothing itself.

mod canvas;
pub mod chart;
mod font;
