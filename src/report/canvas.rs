//! An RGB pixel canvas for the report charts: filled rectangles, bitmap text from `font`, and
//! PNG encoding with the pure-Rust `png` crate. Knows nothing about charts, files or chat.

use super::font;

/// An sRGB colour.
pub type Rgb = [u8; 3];

pub struct Canvas {
    width: u32,
    height: u32,
    /// Row-major RGB bytes, three per pixel.
    pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        let pixels = background.repeat((width * height) as usize);
        Canvas { width, height, pixels }
    }

    /// Fills a rectangle; whatever falls outside the canvas is clipped, never a panic.
    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, colour: Rgb) {
        let x_end = x.saturating_add(w).min(self.width);
        let y_end = y.saturating_add(h).min(self.height);
        for row in y.min(y_end)..y_end {
            let start = ((row * self.width + x.min(x_end)) * 3) as usize;
            let end = ((row * self.width + x_end) * 3) as usize;
            for px in self.pixels[start..end].chunks_exact_mut(3) {
                px.copy_from_slice(&colour);
            }
        }
    }

    /// Draws `text` with its capitals' top-left corner at (x, y), each font pixel `scale`×`scale`.
    pub fn text(&mut self, x: u32, y: u32, scale: u32, colour: Rgb, text: &str) {
        let mut left = x;
        for c in text.chars() {
            let glyph = font::glyph(c);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..font::WIDTH {
                    if bits & (0x10 >> col) != 0 {
                        let px = left + col * scale;
                        let py = y + row as u32 * scale;
                        self.fill(px, py, scale, scale, colour);
                    }
                }
            }
            left += font::ADVANCE * scale;
        }
    }

    /// Draws `text` centred horizontally on `centre_x`.
    pub fn text_centred(&mut self, centre_x: u32, y: u32, scale: u32, colour: Rgb, text: &str) {
        let half = font::text_width(text, scale) / 2;
        self.text(centre_x.saturating_sub(half), y, scale, colour, text);
    }

    /// Draws `text` ending at `right_x`.
    pub fn text_right(&mut self, right_x: u32, y: u32, scale: u32, colour: Rgb, text: &str) {
        let w = font::text_width(text, scale);
        self.text(right_x.saturating_sub(w), y, scale, colour, text);
    }

    /// The canvas as a PNG (8-bit RGB). The encoder writes no timestamp or other varying chunk,
    /// so the same pixels always give the same bytes.
    pub fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        // Writing into a Vec cannot fail on I/O, and the buffer always holds width×height×3
        // bytes, so an error here is a bug in this file, not bad input.
        let mut writer = encoder.write_header().expect("PNG header for a valid size");
        writer
            .write_image_data(&self.pixels)
            .expect("pixel buffer matches the PNG header");
        writer.finish().expect("PNG trailer into memory");
        out
    }

    #[cfg(test)]
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        let i = ((y * self.width + x) * 3) as usize;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = [255, 255, 255];
    const RED: Rgb = [255, 0, 0];

    #[test]
    fn rectangles_are_clipped_at_the_edges() {
        let mut c = Canvas::new(10, 5, WHITE);
        c.fill(8, 3, 100, 100, RED);
        c.fill(50, 50, 3, 3, RED);
        assert_eq!(c.pixel(9, 4), RED);
        assert_eq!(c.pixel(8, 3), RED);
        assert_eq!(c.pixel(7, 3), WHITE);
        assert_eq!(c.pixel(9, 2), WHITE);
    }

    #[test]
    fn text_sets_the_glyph_pixels_scaled() {
        let mut c = Canvas::new(20, 20, WHITE);
        c.text(0, 0, 2, RED, "I");
        // The top row of the I is 0x0E: columns 1..=3, so pixels 2..8 at scale 2.
        assert_eq!(c.pixel(1, 0), WHITE);
        assert_eq!(c.pixel(2, 0), RED);
        assert_eq!(c.pixel(7, 1), RED);
        assert_eq!(c.pixel(8, 0), WHITE);
    }
}
