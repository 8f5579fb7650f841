//! Tests of the weekly chart: the PNG is valid and decodes, bars are as tall as their counts,
//! the output is deterministic, and empty, huge and crowded inputs still give a readable chart.

use super::*;

fn week(counts: &[(u32, u32, u32)]) -> Vec<DayCount> {
    let monday = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    counts
        .iter()
        .enumerate()
        .map(|(i, &(replies, broadcasts, shares))| DayCount {
            day: monday + chrono::Days::new(i as u64),
            broadcasts,
            replies,
            shares,
        })
        .collect()
}

/// Width, height and RGB pixels of a PNG, through the `png` crate's decoder.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn pixel(pixels: &[u8], x: u32, y: u32) -> Rgb {
    let i = ((y * WIDTH + x) * 3) as usize;
    [pixels[i], pixels[i + 1], pixels[i + 2]]
}

/// The highest row in the day's slot (inside the plot) that has `colour`, if any.
fn top_of(pixels: &[u8], days: usize, day: usize, colour: Rgb) -> Option<u32> {
    let (left, w) = slots(days).nth(day).expect("a slot");
    (PLOT_TOP - 20..=PLOT_BOTTOM).find(|&y| (left..left + w).any(|x| pixel(pixels, x, y) == colour))
}

#[test]
fn the_png_has_a_valid_signature_and_an_800_by_400_header() {
    let bytes = weekly_chart_png("Acme", &week(&[(3, 5, 1), (0, 2, 0)]));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR is the first chunk");
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 800);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 400);
    assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND");
}

#[test]
fn it_decodes_back_to_the_drawn_pixels() {
    let days = week(&[
        (3, 5, 0),
        (1, 2, 0),
        (0, 0, 0),
        (4, 1, 0),
        (2, 2, 0),
        (0, 1, 0),
        (0, 0, 0),
    ]);
    let (w, h, pixels) = decode(&weekly_chart_png("Acme", &days));
    assert_eq!((w, h), (WIDTH, HEIGHT));
    let drawn = draw("Acme", &days);
    for (x, y) in [(0, 0), (PLOT_LEFT + 5, PLOT_BOTTOM), (400, 200), (799, 399)] {
        assert_eq!(pixel(&pixels, x, y), drawn.pixel(x, y), "pixel ({x}, {y})");
    }
}

#[test]
fn a_taller_count_reaches_higher_in_its_own_colour() {
    let days = week(&[(10, 3, 0), (3, 10, 0), (0, 0, 0)]);
    let (_, _, pixels) = decode(&weekly_chart_png("Acme", &days));
    let replies = |d| top_of(&pixels, 3, d, REPLIES);
    let broadcasts = |d| top_of(&pixels, 3, d, BROADCASTS);
    assert!(replies(0).unwrap() < replies(1).unwrap(), "10 replies stand above 3");
    assert!(
        broadcasts(1).unwrap() < broadcasts(0).unwrap(),
        "10 broadcasts stand above 3"
    );
    assert_eq!(replies(0), broadcasts(1), "equal counts, equal heights");
    assert_eq!(replies(2), None, "no bar for a day without posts");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let days = week(&[(3, 5, 2), (1, 2, 0), (7, 0, 1)]);
    assert_eq!(weekly_chart_png("Acme", &days), weekly_chart_png("Acme", &days));
    assert_ne!(weekly_chart_png("Acme", &days), weekly_chart_png("Acme Corp", &days));
}

#[test]
fn a_week_without_posts_draws_axes_and_no_bars() {
    let days = week(&[(0, 0, 0); 7]);
    let (_, _, pixels) = decode(&weekly_chart_png("Acme", &days));
    for day in 0..7 {
        assert_eq!(top_of(&pixels, 7, day, REPLIES), None);
        assert_eq!(top_of(&pixels, 7, day, BROADCASTS), None);
    }
    assert_eq!(pixel(&pixels, 400, PLOT_BOTTOM), BASELINE);
    assert_eq!(Axis::fit(0), Axis { top: 4, step: 1 });
    let (_, _, empty) = decode(&weekly_chart_png("Acme", &[]));
    assert_eq!(pixel(&empty, 400, PLOT_BOTTOM), BASELINE, "no days still gives a chart");
}

#[test]
fn the_axis_rounds_up_to_a_nice_maximum() {
    let fit = |max| {
        let a = Axis::fit(max);
        (a.top, a.step)
    };
    assert_eq!(fit(1), (4, 1));
    assert_eq!(fit(5), (5, 1));
    assert_eq!(fit(7), (8, 2));
    assert_eq!(fit(23), (25, 5));
    assert_eq!(fit(101), (150, 50));
    assert_eq!(fit(9_001), (10_000, 2_000));
    assert_eq!(fit(u64::from(u32::MAX)), (5_000_000_000, 1_000_000_000));
    let labels = |max| {
        let a = Axis::fit(max);
        (0..=a.top / a.step).map(|i| a.label(i * a.step)).collect::<Vec<_>>()
    };
    assert_eq!(labels(7), ["0", "2", "4", "6", "8"]);
    assert_eq!(labels(2_400), ["0", "500", "1000", "1500", "2000", "2500"]);
    assert_eq!(labels(9_001), ["0", "2k", "4k", "6k", "8k", "10k"]);
    assert_eq!(labels(1_400_000), ["0", "0.5M", "1M", "1.5M"]);
    assert_eq!(labels(u64::from(u32::MAX)), ["0", "1G", "2G", "3G", "4G", "5G"]);
}

#[test]
fn big_numbers_scale_the_axis_instead_of_overflowing() {
    let days = week(&[(u32::MAX, 12_345, 0), (1, u32::MAX / 2, 9)]);
    let (_, _, pixels) = decode(&weekly_chart_png("Acme", &days));
    let top = top_of(&pixels, 2, 0, REPLIES).unwrap();
    assert!(top > PLOT_TOP && top < PLOT_TOP + 60, "4.29G of a 5G axis: {top}");
    let small = top_of(&pixels, 2, 1, REPLIES).unwrap();
    assert_eq!(small, PLOT_BOTTOM - 2, "a single reply still shows");
    assert_eq!(bar_label(u32::MAX), "4.2G");
    assert_eq!(bar_label(12_345), "12.3k");
    assert_eq!(bar_label(123_456), "123k");
    assert_eq!(bar_label(9_999), "9999");
}

#[test]
fn titles_name_the_brand_and_the_dates_and_long_names_are_shortened() {
    let days = week(&[(1, 1, 0); 7]);
    assert_eq!(date_range(days[0].day, days[6].day), "23 Nov – 29 Nov 2026");
    let new_year = NaiveDate::from_ymd_opt(2027, 1, 3).unwrap();
    assert_eq!(date_range(days[6].day, new_year), "29 Nov 2026 – 3 Jan 2027");
    // A very long name must neither panic nor run off the canvas.
    let long = "Acme Intergalactic Widgets and Sprockets Holding Company International ".repeat(4);
    let (w, _, _) = decode(&weekly_chart_png(&long, &days));
    assert_eq!(w, WIDTH);
}

#[test]
fn crowded_charts_still_label_days() {
    let month: Vec<_> = (0..31).map(|i| (i, 31 - i, 0)).collect();
    let (_, _, pixels) = decode(&weekly_chart_png("Acme", &week(&month)));
    let labelled = (DAY_LABEL_Y..DAY_LABEL_Y + 14).any(|y| (0..WIDTH).any(|x| pixel(&pixels, x, y) == MUTED));
    assert!(labelled);
    let one = week(&[(2, 1, 0)]);
    let (_, _, pixels) = decode(&weekly_chart_png("Acme", &one));
    assert!(top_of(&pixels, 1, 0, REPLIES).is_some());
}

/// Writes sample charts for a person to look at: `CHART_SAMPLES=dir cargo test --lib samples`.
#[test]
fn samples() {
    let Ok(dir) = std::env::var("CHART_SAMPLES") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let typical = week(&[
        (3, 5, 1),
        (1, 4, 0),
        (0, 6, 2),
        (4, 3, 0),
        (2, 2, 1),
        (0, 1, 0),
        (0, 0, 0),
    ]);
    std::fs::write(dir.join("typical.png"), weekly_chart_png("Acme", &typical)).unwrap();
    let noshare = week(&[
        (12, 3, 0),
        (7, 9, 0),
        (0, 14, 0),
        (21, 3, 0),
        (5, 5, 0),
        (0, 1, 0),
        (2, 0, 0),
    ]);
    std::fs::write(dir.join("noshare.png"), weekly_chart_png("Globex", &noshare)).unwrap();
    std::fs::write(dir.join("zero.png"), weekly_chart_png("Acme", &week(&[(0, 0, 0); 7]))).unwrap();
    let big = week(&[(123_456, 98_765, 4_000), (2_000_000, 10, 0), (0, 1_500_000, 0)]);
    std::fs::write(dir.join("big.png"), weekly_chart_png("Initech", &big)).unwrap();
    let month: Vec<_> = (0..31).map(|i| (i, 31 - i, i % 3)).collect();
    std::fs::write(dir.join("month.png"), weekly_chart_png("Acme", &week(&month))).unwrap();
    let glyphs: String = (0x20u8..0x7f).map(char::from).collect();
    let mut c = Canvas::new(WIDTH, 120, BACKGROUND);
    for (i, line) in glyphs.as_bytes().chunks(48).enumerate() {
        c.text(8, 8 + i as u32 * 24, 2, INK, std::str::from_utf8(line).unwrap());
    }
    c.text(8, 80, 2, INK, "– — … · ẞ Café Nestlé Ça Øre ß ñ ü å â è ÿ");
    std::fs::write(dir.join("font.png"), c.png()).unwrap();
}
