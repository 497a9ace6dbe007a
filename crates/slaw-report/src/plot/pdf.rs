//! A vector PDF backend for plotters, on `pdf-writer`: one page of the
//! figure's size (a pixel is 0.75 pt, CSS's 96 pixels per inch), lines,
//! paths, polygons, rectangles and circles as PDF paths, transparency
//! through ExtGState, and text in Helvetica. Helvetica is one of the 14
//! fonts every PDF reader has, so nothing is embedded; it is measured with
//! its own widths (the table below, from Adobe's Helvetica AFM), not with
//! the DejaVu Sans of the SVG and PNG figures, which is wider. Text is
//! encoded in WinAnsi: characters it lacks are written as their nearest
//! ASCII ("β" as "beta", "≈" as "~", "10⁻³" as "10^-3").

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};
use std::path::Path;

/// Points per figure pixel (96 pixels per inch, as in CSS).
pub const PT_PER_PX: f32 = 0.75;

/// plotters' text size is a line height: the em is the size / 1.24 (as in
/// its SVG backend and its font layout).
const EM_PER_SIZE: f64 = 1.0 / 1.24;

/// Helvetica's metrics in thousandths of the em (from its AFM file).
const CAP_HEIGHT: f64 = 0.718;
const DESCENT: f64 = 0.207;
/// Where the baseline lies below the top of a line (what plotters' SVG
/// backend uses for text anchored at its top).
const TOP_TO_BASELINE: f64 = 0.76;

/// Advance widths of Helvetica for the WinAnsi codes 32..=255, in
/// thousandths of the em (0: no character at that code).
#[rustfmt::skip]
const WIDTHS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// The WinAnsi codes 0x80..=0x9F and the characters they stand for.
const WIN_ANSI_HIGH: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '‘'),
    (0x92, '’'),
    (0x93, '“'),
    (0x94, '”'),
    (0x95, '•'),
    (0x96, '–'),
    (0x97, '—'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

/// ASCII stand-ins for characters WinAnsi lacks.
const STAND_INS: [(char, &str); 44] = [
    ('α', "alpha"),
    ('β', "beta"),
    ('γ', "gamma"),
    ('δ', "delta"),
    ('ε', "epsilon"),
    ('ϵ', "epsilon"),
    ('η', "eta"),
    ('θ', "theta"),
    ('κ', "kappa"),
    ('λ', "lambda"),
    ('μ', "µ"),
    ('ν', "nu"),
    ('π', "pi"),
    ('ρ', "rho"),
    ('σ', "sigma"),
    ('τ', "tau"),
    ('φ', "phi"),
    ('χ', "chi"),
    ('ψ', "psi"),
    ('ω', "omega"),
    ('Γ', "Gamma"),
    ('Δ', "Delta"),
    ('Θ', "Theta"),
    ('Λ', "Lambda"),
    ('Π', "Pi"),
    ('Σ', "Sigma"),
    ('Φ', "Phi"),
    ('Ψ', "Psi"),
    ('Ω', "Omega"),
    ('≈', "~"),
    ('∼', "~"),
    ('∝', "~"),
    ('≤', "<="),
    ('≥', ">="),
    ('≠', "!="),
    ('−', "-"),
    ('‐', "-"),
    ('‑', "-"),
    ('′', "'"),
    ('→', "->"),
    ('←', "<-"),
    ('∞', "inf"),
    ('√', "sqrt"),
    ('⋅', "·"),
];

/// The WinAnsi code of `c`, if it has one.
fn win_ansi(c: char) -> Option<u8> {
    match c {
        ' '..='~' | '\u{A0}'..='\u{FF}' => Some(c as u8),
        _ => WIN_ANSI_HIGH.iter().find(|p| p.1 == c).map(|p| p.0),
    }
}

/// The plain form of a superscript or subscript digit or sign.
fn script_plain(c: char) -> Option<char> {
    const SUP: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";
    const SUB: &str = "₀₁₂₃₄₅₆₇₈₉";
    let digit = |set: &str| {
        set.chars()
            .position(|d| d == c)
            .and_then(|i| char::from_digit(i as u32, 10))
    };
    match c {
        '⁻' | '₋' => Some('-'),
        '⁺' | '₊' => Some('+'),
        _ => digit(SUP).or_else(|| digit(SUB)),
    }
}

fn is_superscript(c: char) -> bool {
    matches!(c, '⁰'..='⁹' | '¹' | '²' | '³' | '⁺' | '⁻') && script_plain(c).is_some()
}

/// `text` in WinAnsi. A run of superscripts WinAnsi has (¹ ² ³) stays; any
/// other run is written as ^ and plain characters ("10⁻³" as "10^-3");
/// subscript digits as plain digits; other characters WinAnsi lacks as
/// their ASCII stand-ins, else "?".
pub fn encode(text: &str) -> Vec<u8> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_superscript(c) {
            let run: Vec<char> = chars[i..]
                .iter()
                .copied()
                .take_while(|&c| is_superscript(c))
                .collect();
            i += run.len();
            if run.iter().all(|&c| win_ansi(c).is_some()) {
                out.extend(run.iter().filter_map(|&c| win_ansi(c)));
            } else {
                out.push(b'^');
                out.extend(run.iter().filter_map(|&c| script_plain(c)).map(|c| c as u8));
            }
            continue;
        }
        i += 1;
        if let Some(b) = win_ansi(c) {
            out.push(b);
        } else if let Some(p) = script_plain(c) {
            out.push(p as u8);
        } else if let Some((_, s)) = STAND_INS.iter().find(|p| p.0 == c) {
            out.extend(s.chars().filter_map(win_ansi));
        } else if c.is_whitespace() {
            out.push(b' ');
        } else {
            out.push(b'?');
        }
    }
    out
}

/// The width of WinAnsi text in Helvetica, in ems.
fn width_em(bytes: &[u8]) -> f64 {
    bytes
        .iter()
        .map(|&b| b.checked_sub(32).map(|i| WIDTHS[i as usize]).unwrap_or(0) as f64)
        .sum::<f64>()
        / 1000.0
}

/// The size in pixels of `text` set in Helvetica at plotters' text size
/// `size`: width, and the em as height (as plotters' font layout reports).
pub fn text_size(text: &str, size: f64) -> (u32, u32) {
    let em = size * EM_PER_SIZE;
    let w = width_em(&encode(text)) * em;
    (w.ceil() as u32, em as u32)
}

enum Target<'a> {
    File(&'a Path),
    Buffer(&'a mut Vec<u8>),
}

/// What the content stream has set, so that it is set again only on change.
#[derive(Default, PartialEq)]
struct State {
    stroke: Option<(u8, u8, u8)>,
    fill: Option<(u8, u8, u8)>,
    /// In thousandths; None: opaque (the initial state).
    alpha: Option<u16>,
    width: Option<u32>,
}

/// A plotters backend writing a one-page PDF to a file or a buffer when
/// the drawing is presented.
pub struct PdfBackend<'a> {
    target: Target<'a>,
    size: (u32, u32),
    content: Content,
    /// The alpha of each ExtGState, in thousandths (/G0, /G1, ...).
    alphas: Vec<u16>,
    state: State,
    uses_text: bool,
    saved: bool,
}

impl<'a> PdfBackend<'a> {
    /// A backend writing to `path` (created or replaced on present).
    pub fn new(path: &'a Path, size: (u32, u32)) -> Self {
        Self::with_target(Target::File(path), size)
    }

    /// A backend writing the PDF's bytes into `buf` (replaced on present).
    pub fn with_buffer(buf: &'a mut Vec<u8>, size: (u32, u32)) -> Self {
        Self::with_target(Target::Buffer(buf), size)
    }

    fn with_target(target: Target<'a>, size: (u32, u32)) -> Self {
        let mut content = Content::new();
        content.set_line_join(pdf_writer::types::LineJoinStyle::RoundJoin);
        PdfBackend {
            target,
            size,
            content,
            alphas: Vec::new(),
            state: State::default(),
            uses_text: false,
            saved: false,
        }
    }

    /// A point of the figure in PDF space (points, y up).
    fn pt(&self, (x, y): (f64, f64)) -> (f32, f32) {
        (
            x as f32 * PT_PER_PX,
            (self.size.1 as f64 - y) as f32 * PT_PER_PX,
        )
    }

    /// Sets the alpha of what follows, through an ExtGState per value.
    fn set_alpha(&mut self, alpha: f64) {
        let a = (alpha.clamp(0.0, 1.0) * 1000.0).round() as u16;
        if self.state.alpha.unwrap_or(1000) == a {
            return;
        }
        let i = self.alphas.iter().position(|&x| x == a).unwrap_or_else(|| {
            self.alphas.push(a);
            self.alphas.len() - 1
        });
        let name = format!("G{i}");
        self.content.set_parameters(Name(name.as_bytes()));
        self.state.alpha = Some(a);
    }

    fn set_stroke(&mut self, c: BackendColor, width: u32) {
        self.set_alpha(c.alpha);
        if self.state.stroke != Some(c.rgb) {
            let (r, g, b) = rgb(c);
            self.content.set_stroke_rgb(r, g, b);
            self.state.stroke = Some(c.rgb);
        }
        if self.state.width != Some(width) {
            self.content.set_line_width(width as f32 * PT_PER_PX);
            self.state.width = Some(width);
        }
    }

    fn set_fill(&mut self, c: BackendColor) {
        self.set_alpha(c.alpha);
        if self.state.fill != Some(c.rgb) {
            let (r, g, b) = rgb(c);
            self.content.set_fill_rgb(r, g, b);
            self.state.fill = Some(c.rgb);
        }
    }

    /// Sets the paint of the next shape: stroked `stroke` pixels wide, or
    /// (None) filled; false when the colour is invisible (nothing to draw).
    fn begin(&mut self, c: BackendColor, stroke: Option<u32>) -> bool {
        if c.alpha == 0.0 {
            return false;
        }
        match stroke {
            Some(w) => self.set_stroke(c, w),
            None => self.set_fill(c),
        }
        true
    }

    /// Paints the shape just built as [`Self::begin`] set.
    fn end(&mut self, stroke: Option<u32>) {
        match stroke {
            Some(_) => self.content.stroke(),
            None => self.content.fill_nonzero(),
        };
    }

    /// A polyline stroked, or (None) a polygon filled.
    fn paint(&mut self, points: &[BackendCoord], c: BackendColor, stroke: Option<u32>) {
        let enough = points.len() >= if stroke.is_some() { 2 } else { 3 };
        if enough && self.begin(c, stroke) {
            self.path(points);
            self.end(stroke);
        }
    }

    fn path(&mut self, points: &[BackendCoord]) {
        for (i, &(x, y)) in points.iter().enumerate() {
            let (x, y) = self.pt((x as f64, y as f64));
            if i == 0 {
                self.content.move_to(x, y);
            } else {
                self.content.line_to(x, y);
            }
        }
    }

    /// The document: catalog, one page, its content, Helvetica and the
    /// ExtGStates the content names.
    fn document(&mut self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let (catalog, pages, page, content, font) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
        );
        let gs_ref = |i: usize| Ref::new(6 + i as i32);
        pdf.catalog(catalog).pages(pages);
        pdf.pages(pages).kids([page]).count(1);
        let mut p = pdf.page(page);
        let (w, h) = (
            self.size.0 as f32 * PT_PER_PX,
            self.size.1 as f32 * PT_PER_PX,
        );
        p.media_box(Rect::new(0.0, 0.0, w, h));
        p.parent(pages);
        p.contents(content);
        {
            let mut res = p.resources();
            if self.uses_text {
                res.fonts().pair(Name(b"F1"), font);
            }
            if !self.alphas.is_empty() {
                let mut states = res.ext_g_states();
                for i in 0..self.alphas.len() {
                    let name = format!("G{i}");
                    states.pair(Name(name.as_bytes()), gs_ref(i));
                }
            }
        }
        p.finish();
        let data = std::mem::replace(&mut self.content, Content::new()).finish();
        pdf.stream(content, &data);
        if self.uses_text {
            pdf.type1_font(font)
                .base_font(Name(b"Helvetica"))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for (i, &a) in self.alphas.iter().enumerate() {
            let a = a as f32 / 1000.0;
            pdf.ext_graphics(gs_ref(i))
                .stroking_alpha(a)
                .non_stroking_alpha(a);
        }
        pdf.finish()
    }
}

fn rgb(c: BackendColor) -> (f32, f32, f32) {
    let f = |v: u8| v as f32 / 255.0;
    (f(c.rgb.0), f(c.rgb.1), f(c.rgb.2))
}

/// How plotters' rotations map a vector of the text's frame (x along the
/// text, y down) onto the page's pixels: (a, b, c, d) with
/// page = (a x + b y, c x + d y).
fn rotation(t: &FontTransform) -> (f64, f64, f64, f64) {
    match t {
        FontTransform::None => (1.0, 0.0, 0.0, 1.0),
        FontTransform::Rotate90 => (0.0, -1.0, 1.0, 0.0),
        FontTransform::Rotate180 => (-1.0, 0.0, 0.0, -1.0),
        FontTransform::Rotate270 => (0.0, 1.0, -1.0, 0.0),
    }
}

type DrawResult = Result<(), DrawingErrorKind<std::io::Error>>;

impl DrawingBackend for PdfBackend<'_> {
    type ErrorType = std::io::Error;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> DrawResult {
        Ok(())
    }

    fn present(&mut self) -> DrawResult {
        if self.saved {
            return Ok(());
        }
        let bytes = self.document();
        match &mut self.target {
            Target::File(path) => {
                std::fs::write(path, bytes).map_err(DrawingErrorKind::DrawingError)?
            }
            Target::Buffer(buf) => **buf = bytes,
        }
        self.saved = true;
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> DrawResult {
        self.draw_rect(point, (point.0 + 1, point.1 + 1), &color, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> DrawResult {
        self.draw_path([from, to], style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        let stroke = (!fill).then(|| style.stroke_width());
        if self.begin(style.color(), stroke) {
            let (x0, y0) = self.pt((upper_left.0 as f64, bottom_right.1 as f64));
            let (x1, y1) = self.pt((bottom_right.0 as f64, upper_left.1 as f64));
            self.content.rect(x0, y0, x1 - x0, y1 - y0);
            self.end(stroke);
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> DrawResult {
        let points: Vec<BackendCoord> = path.into_iter().collect();
        self.paint(&points, style.color(), Some(style.stroke_width()));
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> DrawResult {
        let points: Vec<BackendCoord> = vert.into_iter().collect();
        self.paint(&points, style.color(), None);
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        let stroke = (!fill).then(|| style.stroke_width());
        if !self.begin(style.color(), stroke) {
            return Ok(());
        }
        // Four cubic Béziers, each a quarter circle.
        let (cx, cy) = self.pt((center.0 as f64, center.1 as f64));
        let r = radius as f32 * PT_PER_PX;
        let k = 0.552_284_8 * r;
        let ct = &mut self.content;
        ct.move_to(cx + r, cy);
        ct.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
        ct.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
        ct.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
        ct.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
        ct.close_path();
        self.end(stroke);
        Ok(())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> DrawResult {
        let c = style.color();
        let bytes = encode(text);
        if c.alpha == 0.0 || bytes.is_empty() {
            return Ok(());
        }
        let em = style.size() * EM_PER_SIZE;
        let w = width_em(&bytes) * em;
        let anchor = style.anchor();
        // The baseline's start in the text's own frame (y down) from the anchor.
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -w / 2.0,
            HPos::Right => -w,
        };
        let dy = match anchor.v_pos {
            VPos::Top => TOP_TO_BASELINE * em,
            VPos::Center => CAP_HEIGHT / 2.0 * em,
            VPos::Bottom => -DESCENT * em,
        };
        let (a, b, cc, d) = rotation(&style.transform());
        let origin = self.pt((
            pos.0 as f64 + a * dx + b * dy,
            pos.1 as f64 + cc * dx + d * dy,
        ));
        self.set_fill(c);
        self.uses_text = true;
        // The text's x axis is the page's (a, c), its y axis (up) the
        // page's (-b, -d), both with y flipped into PDF space.
        let (a, b, cc, d) = (a as f32, b as f32, cc as f32, d as f32);
        self.content
            .begin_text()
            .set_font(Name(b"F1"), em as f32 * PT_PER_PX)
            .set_text_matrix([a, -cc, -b, d, origin.0, origin.1])
            .show(Str(&bytes))
            .end_text();
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        Ok(text_size(text, style.size()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_written_in_win_ansi_with_stand_ins() {
        assert_eq!(encode("loss 0.25"), b"loss 0.25".to_vec());
        // WinAnsi's own: ², ×, –, …, µ, ±.
        assert_eq!(
            encode("N² × 3 – a… µ±"),
            vec![
                b'N', 0xB2, b' ', 0xD7, b' ', b'3', b' ', 0x96, b' ', b'a', 0x85, b' ', 0xB5, 0xB1
            ]
        );
        assert_eq!(encode("β ≈ 0.3"), b"beta ~ 0.3".to_vec());
        assert_eq!(encode("10⁻³ and x²³"), b"10^-3 and x\xB2\xB3".to_vec());
        assert_eq!(encode("D₀ − 1 ≤ 2"), b"D0 - 1 <= 2".to_vec());
        assert_eq!(encode("模型"), b"??".to_vec());
        assert_eq!(encode("μ"), vec![0xB5]);
    }

    #[test]
    fn text_is_measured_with_helvetica() {
        // "1000" at plotters' size 14: 4 digits of 0.556 em, em = 14 / 1.24.
        let (w, h) = text_size("1000", 14.0);
        assert_eq!(w, (4.0 * 0.556 * 14.0 / 1.24f64).ceil() as u32);
        assert_eq!(h, 11);
        // Narrow and wide letters differ, and stand-ins count as written.
        assert!(text_size("iiii", 14.0).0 < text_size("MMMM", 14.0).0 / 3);
        assert_eq!(text_size("β", 20.0), text_size("beta", 20.0));
        for b in 32u8..=126 {
            assert!(WIDTHS[(b - 32) as usize] > 0, "{}", b as char);
        }
    }
}
