//! The weekly chart: replies vs broadcasts (and, faintly, shares) per day as a PNG bar chart,
//! for the digest. Pure drawing: it reads no store and sends nothing; callers pass the counts.

use chrono::{Datelike, NaiveDate};

use super::canvas::{Canvas, Rgb};
use super::font;

/// One day of a brand's own posts, as the activity ledger counts them (design §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub broadcasts: u32,
    pub replies: u32,
    pub shares: u32,
}

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 400;

const BACKGROUND: Rgb = [0xFF, 0xFF, 0xFF];
const INK: Rgb = [0x22, 0x22, 0x22];
const MUTED: Rgb = [0x66, 0x66, 0x66];
const GRID: Rgb = [0xE4, 0xE4, 0xE4];
const BASELINE: Rgb = [0x99, 0x99, 0x99];
/// Okabe–Ito blue and orange: told apart with every common colour-vision deficiency, and in
/// greyscale (the blue is much darker).
pub const REPLIES: Rgb = [0x00, 0x72, 0xB2];
pub const BROADCASTS: Rgb = [0xE6, 0x9F, 0x00];
/// Shares are context, not the point: a light grey that stays out of the way.
pub const SHARES: Rgb = [0xC8, 0xC8, 0xC8];

/// Text is drawn at twice the font's size: 10×14 px capitals read well at 800×400.
const SCALE: u32 = 2;
const MARGIN: u32 = 16;
const TITLE_Y: u32 = 14;
const LEGEND_Y: u32 = 44;
/// The plot area: bars stand on `PLOT_BOTTOM`; the axis's top is `PLOT_TOP`.
pub const PLOT_LEFT: u32 = 76;
const PLOT_RIGHT: u32 = WIDTH - MARGIN;
pub const PLOT_TOP: u32 = 92;
pub const PLOT_BOTTOM: u32 = 352;
const DAY_LABEL_Y: u32 = PLOT_BOTTOM + 10;
/// Widest a bar gets, so a chart of two days does not turn into two slabs.
const MAX_BAR: u32 = 44;

/// A PNG (800×400) of replies vs broadcasts per day, titled with the brand and the dates.
pub fn weekly_chart_png(brand: &str, days: &[DayCount]) -> Vec<u8> {
    draw(brand, days).png()
}

fn draw(brand: &str, days: &[DayCount]) -> Canvas {
    let mut c = Canvas::new(WIDTH, HEIGHT, BACKGROUND);
    title(&mut c, brand, days);
    let shares = days.iter().any(|d| d.shares > 0);
    legend(&mut c, shares);
    let max = days.iter().map(|d| d.replies.max(d.broadcasts).max(d.shares)).max();
    let axis = Axis::fit(u64::from(max.unwrap_or(0)));
    grid(&mut c, &axis);
    if max.unwrap_or(0) == 0 {
        let note = if days.is_empty() {
            "no data"
        } else {
            "no posts in this period"
        };
        c.text_centred(
            (PLOT_LEFT + PLOT_RIGHT) / 2,
            (PLOT_TOP + PLOT_BOTTOM) / 2,
            SCALE,
            MUTED,
            note,
        );
    }
    if !days.is_empty() {
        bars(&mut c, days, &axis, shares);
        day_labels(&mut c, days);
    }
    c
}

fn title(c: &mut Canvas, brand: &str, days: &[DayCount]) {
    let range = match (days.iter().map(|d| d.day).min(), days.iter().map(|d| d.day).max()) {
        (Some(first), Some(last)) => format!(", {}", date_range(first, last)),
        _ => String::new(),
    };
    let room = WIDTH - 2 * MARGIN;
    let mut brand: Vec<char> = brand.chars().collect();
    loop {
        let name: String = brand.iter().collect();
        let text = format!("{name}: replies vs broadcasts{range}");
        // A long brand first drops to the small size, then is shortened with an ellipsis.
        if let Some(scale) = [SCALE, 1].into_iter().find(|s| font::text_width(&text, *s) <= room) {
            let y = if scale == SCALE { TITLE_Y } else { TITLE_Y + 4 };
            c.text(MARGIN, y, scale, INK, &text);
            return;
        }
        if brand.last() == Some(&'…') {
            brand.pop();
        }
        brand.pop();
        brand.push('…');
    }
}

/// "23 Nov – 29 Nov 2026", or with both years when the week spans New Year.
fn date_range(first: NaiveDate, last: NaiveDate) -> String {
    if first.year() == last.year() {
        format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y"))
    } else {
        format!("{} – {}", first.format("%-d %b %Y"), last.format("%-d %b %Y"))
    }
}

fn legend(c: &mut Canvas, shares: bool) {
    let mut x = MARGIN;
    let mut entries = vec![(REPLIES, "Replies"), (BROADCASTS, "Broadcasts")];
    if shares {
        entries.push((SHARES, "Shares"));
    }
    let swatch = font::CAP_HEIGHT * SCALE;
    for (colour, label) in entries {
        c.fill(x, LEGEND_Y, swatch, swatch, colour);
        c.text(x + swatch + 8, LEGEND_Y, SCALE, INK, label);
        x += swatch + 8 + font::text_width(label, SCALE) + 28;
    }
}

/// The y axis: from 0 to `top` in steps of `step`, a round number (1, 2 or 5 × 10ⁿ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Axis {
    top: u64,
    step: u64,
}

impl Axis {
    /// The smallest round axis with at most five steps that holds `max`. Small counts get an
    /// axis of at least 4, so a single reply does not fill the whole height.
    fn fit(max: u64) -> Axis {
        if max <= 4 {
            return Axis { top: 4, step: 1 };
        }
        let mut magnitude = 1u64;
        loop {
            for m in [1, 2, 5] {
                let step = m * magnitude;
                let steps = max.div_ceil(step);
                if steps <= 5 {
                    return Axis {
                        top: steps * step,
                        step,
                    };
                }
            }
            magnitude *= 10;
        }
    }

    /// The pixel row of `value` (0 is the baseline).
    fn y(&self, value: u64) -> u32 {
        let h = u64::from(PLOT_BOTTOM - PLOT_TOP);
        PLOT_BOTTOM - (value.min(self.top) * h / self.top) as u32
    }

    /// Tick labels share one unit: plain below 10 000, else k, M or G with at most one decimal.
    fn label(&self, value: u64) -> String {
        let unit = if self.top < 10_000 {
            (1, "")
        } else {
            [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")]
                .into_iter()
                .find(|(u, _)| self.step * 2 >= *u)
                .unwrap_or((1_000, "k"))
        };
        compact(value, unit)
    }
}

fn compact(value: u64, (unit, suffix): (u64, &str)) -> String {
    if value == 0 {
        return "0".to_string();
    }
    let tenths = value * 10 / unit;
    // A decimal only where it tells something: 12.3k, but 123k.
    if tenths.is_multiple_of(10) || tenths >= 1_000 {
        format!("{}{suffix}", tenths / 10)
    } else {
        format!("{}.{}{suffix}", tenths / 10, tenths % 10)
    }
}

/// A count for above a bar: in full up to 9 999, then shortened (12.3k, 4.2M).
fn bar_label(value: u32) -> String {
    let v = u64::from(value);
    match v {
        0..=9_999 => v.to_string(),
        10_000..=999_999 => compact(v, (1_000, "k")),
        1_000_000..=999_999_999 => compact(v, (1_000_000, "M")),
        _ => compact(v, (1_000_000_000, "G")),
    }
}

fn grid(c: &mut Canvas, axis: &Axis) {
    let mut v = 0;
    while v <= axis.top {
        let y = axis.y(v);
        let colour = if v == 0 { BASELINE } else { GRID };
        c.fill(PLOT_LEFT, y, PLOT_RIGHT - PLOT_LEFT, if v == 0 { 2 } else { 1 }, colour);
        let half = font::CAP_HEIGHT * SCALE / 2;
        c.text_right(PLOT_LEFT - 10, y.saturating_sub(half), SCALE, MUTED, &axis.label(v));
        v += axis.step;
    }
}

/// Where each day's group of bars sits: its left edge and width.
fn slots(n: usize) -> impl Iterator<Item = (u32, u32)> {
    let width = PLOT_RIGHT - PLOT_LEFT;
    (0..n as u32).map(move |i| {
        let left = PLOT_LEFT + i * width / n as u32;
        (left, PLOT_LEFT + (i + 1) * width / n as u32 - left)
    })
}

fn bars(c: &mut Canvas, days: &[DayCount], axis: &Axis, shares: bool) {
    let slot = (PLOT_RIGHT - PLOT_LEFT) / days.len() as u32;
    // Bars take 70% of the slot: replies and broadcasts side by side, shares narrower.
    let parts = if shares { 26 } else { 20 };
    let bar = (slot * 7 / 10 * 10 / parts).clamp(1, MAX_BAR);
    let thin = if shares { bar * 6 / 10 } else { 0 };
    let gap = if bar >= 8 { 2 } else { 0 };
    let label_scale = label_scale(days, bar);
    for (d, (left, slot)) in days.iter().zip(slots(days.len())) {
        let mut x = left + slot.saturating_sub(2 * bar + thin + 2 * gap) / 2;
        for (value, colour, w, labelled) in [
            (d.replies, REPLIES, bar, true),
            (d.broadcasts, BROADCASTS, bar, true),
            (d.shares, SHARES, thin, false),
        ] {
            if w == 0 {
                continue;
            }
            let top = axis.y(u64::from(value));
            // A non-zero count always shows, however tall the axis.
            let top = if value > 0 { top.min(PLOT_BOTTOM - 2) } else { top };
            c.fill(x, top, w, PLOT_BOTTOM - top, colour);
            if let (true, Some(scale)) = (labelled, label_scale) {
                let y = top.saturating_sub(font::CAP_HEIGHT * scale + 4);
                c.text_centred(x + w / 2, y, scale, INK, &bar_label(value));
            }
            x += w + gap;
        }
    }
}

/// One size for every count above the bars: the larger when all fit over their bars, else the
/// small one; none on crowded charts, where the numbers would only be noise.
fn label_scale(days: &[DayCount], bar: u32) -> Option<u32> {
    if days.len() > 14 {
        return None;
    }
    let widest = days
        .iter()
        .flat_map(|d| [d.replies, d.broadcasts])
        .map(|v| font::text_width(&bar_label(v), 1))
        .max()
        .unwrap_or(0);
    [SCALE, 1].into_iter().find(|s| widest * s <= bar + 4)
}

/// "Mon 23" under each day; on crowded charts the small size, then only the day of the month.
fn day_labels(c: &mut Canvas, days: &[DayCount]) {
    let slot = (PLOT_RIGHT - PLOT_LEFT) / days.len() as u32;
    let choices = [("%a %-d", SCALE), ("%a %-d", 1), ("%-d", 1)];
    let fits = |fmt: &str, scale: u32| {
        days.iter()
            .all(|d| font::text_width(&d.day.format(fmt).to_string(), scale) + 4 <= slot)
    };
    let (fmt, scale, every) = match choices.iter().find(|(f, s)| fits(f, *s)) {
        Some((f, s)) => (*f, *s, 1),
        // Too many days for a label each: label every few days.
        None => ("%-d", 1, (font::text_width("30", 1) + 4).div_ceil(slot.max(1)) as usize),
    };
    for (i, (d, (left, w))) in days.iter().zip(slots(days.len())).enumerate() {
        if i % every == 0 {
            c.text_centred(left + w / 2, DAY_LABEL_Y, scale, MUTED, &d.day.format(fmt).to_string());
        }
    }
}

#[cfg(test)]
mod tests;
