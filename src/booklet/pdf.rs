//! The PDF writer: a laid-out [`Document`] → PDF bytes, with printpdf's drawing operations and
//! a few lopdf fixes printpdf 0.12.8 needs.
//!
//! - Fonts are subset here (printpdf embeds whole fonts without its `text_layout` feature) with
//!   allsorts, tagged `ABCDEF+NotoSans-…`, embedded as Type0/Identity-H with a ToUnicode map.
//! - Text is written glyph by glyph with its Unicode text (so extraction works), one TJ per
//!   segment, kerning (the shaper's pair adjustments, `fonts::Metrics::kern`) and justification
//!   as TJ offsets after the glyphs (never `Tw`, which Identity-H ignores).
//! - JPEG photos go in byte for byte with /DCTDecode; PNG pixels with /FlateDecode.
//! - Fixed after printpdf: /PageMode /UseOutlines as a name, the outline (built here, in
//!   document order), /PageLabels, the Info dictionary, a content-derived /ID — so the same
//!   input and date always give the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    Actions, BorderArray, Color, ColorArray, Destination, DictItem, ExternalStream, ExternalXObject, FontId,
    HighlightingMode, LinkAnnotation, Op, PaintMode, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, RawImage, RawImageData, RawImageFormat, TextItem, TextMatrix, XObject, XObjectId,
    XObjectTransform,
};

use super::fonts::{metrics, Face};
use super::images::ImageKind;
use super::layout::{Document, Item, LabelStyle, LinkTarget, Rgb, Role, StructNode, Tag};
use super::structure;
use super::{BookletError, Options};

fn font_id(face: Face) -> FontId {
    FontId(format!("F{}", face as usize + 1))
}

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb::new(c.0, c.1, c.2, None))
}

/// `v` rounded to two decimals.
fn round2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

fn pt(x: f32, y: f32) -> Point {
    Point { x: Pt(x), y: Pt(y) }
}

/// Glyphs used per face: original glyph ids.
fn used_glyphs(doc: &Document) -> BTreeMap<Face, BTreeSet<u16>> {
    let mut used: BTreeMap<Face, BTreeSet<u16>> = BTreeMap::new();
    for page in &doc.pages {
        for item in &page.items {
            if let Item::Text { line, .. } = item {
                for seg in &line.segs {
                    let m = metrics(seg.face);
                    let set = used.entry(seg.face).or_default();
                    set.extend(seg.text.chars().map(|c| m.glyph(c)));
                    // The space a line may end with (see the text writer).
                    set.insert(m.glyph(' '));
                }
            }
        }
    }
    used
}

/// A subset of one face: the font to embed (text reaches it through the subset's own cmap).
struct Subset {
    font: ParsedFont,
}

fn subset(face: Face, glyphs: &BTreeSet<u16>) -> Result<Subset, BookletError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset as allsorts_subset, CmapTarget, SubsetProfile};
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs.iter().copied().filter(|g| *g != 0)).collect();
    let err =
        |what: &str, e: &dyn std::fmt::Display| BookletError::Pdf(format!("subsetting {}: {what}: {e}", face.name()));
    let scope = ReadScope::new(face.bytes());
    let data = scope.read::<FontData<'_>>().map_err(|e| err("read", &e))?;
    let provider = data.table_provider(0).map_err(|e| err("tables", &e))?;
    let bytes =
        allsorts_subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode).map_err(|e| err("subset", &e))?;
    let mut warnings = Vec::new();
    let mut font = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
        .ok_or_else(|| BookletError::Pdf(format!("subset of {} does not parse", face.name())))?;
    // A subset tag (six capitals) derived from the glyph set: stable for the same text.
    let mut h: u32 = 2_166_136_261;
    for g in &ids {
        h = (h ^ u32::from(*g)).wrapping_mul(16_777_619);
    }
    h ^= face as u32;
    let tag: String = (0..6).map(|i| (b'A' + ((h >> (i * 5)) % 26) as u8) as char).collect();
    font.font_name = Some(format!("{tag}+{}", face.name()));
    Ok(Subset { font })
}

/// The dictionary of an 8-bit image XObject whose stream is already encoded with `filter`.
fn image_dict(img: &super::layout::ImageData, space: &str, filter: &str) -> BTreeMap<String, DictItem> {
    let n = |s: &str| DictItem::Name(s.as_bytes().to_vec());
    let mut d = BTreeMap::new();
    d.insert("Type".to_string(), n("XObject"));
    d.insert("Subtype".to_string(), n("Image"));
    d.insert("Width".to_string(), DictItem::Int(i64::from(img.width_px)));
    d.insert("Height".to_string(), DictItem::Int(i64::from(img.height_px)));
    d.insert("BitsPerComponent".to_string(), DictItem::Int(8));
    d.insert("ColorSpace".to_string(), n(space));
    d.insert("Filter".to_string(), n(filter));
    d
}

/// The XObject of one photo. A JPEG is embedded as it is; a PNG is decoded here — one photo at
/// a time, its pixels compressed at once (opaque images) so no decoded image outlives its turn.
fn image_xobject(img: &super::layout::ImageData) -> Result<XObject, BookletError> {
    let (kind, _, _) = super::images::load(&img.bytes).map_err(|e| BookletError::Photo {
        city: img.city.clone(),
        index: img.index,
        sha256: img.sha256.clone(),
        message: e.to_string(),
    })?;
    if let ImageKind::Png { rgb, pixels, alpha: None } = &kind {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(pixels).map_err(|e| BookletError::Pdf(e.to_string()))?;
        let content = z.finish().map_err(|e| BookletError::Pdf(e.to_string()))?;
        let d = image_dict(img, if *rgb { "DeviceRGB" } else { "DeviceGray" }, "FlateDecode");
        return Ok(XObject::External(ExternalXObject {
            stream: ExternalStream { dict: d, content, compress: false },
            width: None,
            height: None,
            dpi: None,
        }));
    }
    match &kind {
        ImageKind::Jpeg { components } => {
            let space = match components {
                1 => "DeviceGray",
                4 => "DeviceCMYK",
                _ => "DeviceRGB",
            };
            let mut d = image_dict(img, space, "DCTDecode");
            if *components == 4 {
                // Adobe CMYK JPEGs are stored inverted.
                d.insert(
                    "Decode".to_string(),
                    DictItem::Array(vec![1, 0, 1, 0, 1, 0, 1, 0].into_iter().map(DictItem::Int).collect()),
                );
            }
            Ok(XObject::External(ExternalXObject {
                stream: ExternalStream { dict: d, content: img.bytes.clone(), compress: false },
                width: None,
                height: None,
                dpi: None,
            }))
        }
        ImageKind::Png { rgb, pixels, alpha } => {
            // printpdf writes raw pixels Flate-compressed, alpha as an /SMask: lossless.
            let (data, format) = match (rgb, alpha) {
                (true, None) => (pixels.clone(), RawImageFormat::RGB8),
                (false, None) => (pixels.clone(), RawImageFormat::R8),
                (true, Some(a)) => {
                    let mut v = Vec::with_capacity(pixels.len() / 3 * 4);
                    for (px, al) in pixels.chunks_exact(3).zip(a) {
                        v.extend_from_slice(px);
                        v.push(*al);
                    }
                    (v, RawImageFormat::RGBA8)
                }
                (false, Some(a)) => {
                    let mut v = Vec::with_capacity(pixels.len() * 2);
                    for (g, al) in pixels.iter().zip(a) {
                        v.push(*g);
                        v.push(*al);
                    }
                    (v, RawImageFormat::RG8)
                }
            };
            Ok(XObject::Image(RawImage {
                pixels: RawImageData::U8(data),
                width: img.width_px as usize,
                height: img.height_px as usize,
                data_format: format,
                tag: Vec::new(),
            }))
        }
    }
}

/// Writes the document; `progress(page, pages)` after each page's operations are built.
pub fn write(
    doc: &Document,
    options: &Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>, BookletError> {
    let mut pdf = PdfDocument::new(&doc.title);
    // Fonts: one subset per face actually used.
    let used = used_glyphs(doc);
    for (face, glyphs) in &used {
        let s = subset(*face, glyphs)?;
        pdf.resources.fonts.map.insert(font_id(*face), PdfFont::new(s.font));
    }
    // Images, with stable resource names.
    let mut image_ids = Vec::with_capacity(doc.images.len());
    for (i, img) in doc.images.iter().enumerate() {
        let id = XObjectId(format!("Im{}", i + 1));
        pdf.resources.xobjects.map.insert(id.clone(), image_xobject(img)?);
        image_ids.push(id);
    }
    let total = doc.pages.len();
    let tagged = !doc.structure.is_empty();
    let mut tagging = Tagging::default();
    for (index, page) in doc.pages.iter().enumerate() {
        let mut ops: Vec<Op> = Vec::with_capacity(page.items.len() * 6);
        // The structure element of each marked-content id on this page, and of each link.
        let mut mcids: Vec<usize> = Vec::new();
        let mut links: Vec<Tag> = Vec::new();
        // The text colour and font in force: both are graphics state, kept from one text
        // object to the next (rules and rectangles set theirs inside q … Q), so they are set
        // only when they change.
        let mut fill: Option<Rgb> = None;
        let mut font: Option<(Face, u32)> = None;
        // Consecutive lines of one element (a paragraph's lines on this page) share one
        // marked-content sequence and one text object.
        let mut open: Option<Mark> = None;
        let mut in_text = false;
        for item in &page.items {
            let this = if tagged { mark_of(item, &doc.structure) } else { Mark::None };
            let is_text = matches!(item, Item::Text { .. });
            if !(in_text && is_text && open == Some(this)) {
                if in_text {
                    ops.push(Op::EndTextSection);
                    in_text = false;
                }
                if open.is_some_and(|m| m != Mark::None) {
                    ops.push(Op::EndMarkedContent);
                }
                begin_mark(&mut ops, this, &mut mcids);
                open = Some(this);
            }
            match item {
                Item::Text { x, y, size, color: c, line, .. } => {
                    if !in_text {
                        ops.push(Op::StartTextSection);
                        in_text = true;
                    }
                    if fill != Some(*c) {
                        ops.push(Op::SetFillColor { col: color(*c) });
                        fill = Some(*c);
                    }
                    let last_seg = line.segs.len().saturating_sub(1);
                    for (si, seg) in line.segs.iter().enumerate() {
                        if font != Some((seg.face, size.to_bits())) {
                            ops.push(Op::SetFont { font: PdfFontHandle::External(font_id(seg.face)), size: Pt(*size) });
                            font = Some((seg.face, size.to_bits()));
                        }
                        // Positions to a hundredth of a point, offsets to a hundredth of a
                        // thousandth of an em: invisible, and short numbers in the content.
                        ops.push(Op::SetTextMatrix {
                            matrix: TextMatrix::Translate(Pt(round2(x + seg.x)), Pt(round2(*y))),
                        });
                        let m = metrics(seg.face);
                        // Extra space at each gap, as a TJ offset in thousandths of an em
                        // (negative moves right).
                        let offset =
                            if line.extra_per_space != 0.0 { -line.extra_per_space * 1000.0 / size } else { 0.0 };
                        // Runs of text (printpdf maps them through the subset's cmap and
                        // records their ToUnicode), cut where an offset follows a glyph: the
                        // shaper's kerning of the pair (em → thousandths; negative kerning
                        // moves the next glyph left) or the justification after a space.
                        let mut items: Vec<TextItem> = Vec::new();
                        let mut run = String::new();
                        let mut chars = seg.text.chars().peekable();
                        while let Some(ch) = chars.next() {
                            run.push(ch);
                            let off = match chars.peek() {
                                _ if ch == ' ' => offset,
                                Some(next) => -m.kern(ch, *next) * 1000.0,
                                None => 0.0,
                            };
                            if off != 0.0 && chars.peek().is_some() {
                                items.push(TextItem::Text(std::mem::take(&mut run)));
                                items.push(TextItem::Offset(round2(off)));
                            }
                        }
                        // A line that ends between words ends with its space, drawn past the
                        // text where nothing shows: the lines of a paragraph share one marked
                        // sequence, and text extracted from it (a screen reader's, pdftotext's)
                        // must not run the last word into the next line's first.
                        if si == last_seg && !seg.text.ends_with(['-', '/', '–', ' ']) {
                            run.push(' ');
                        }
                        if !run.is_empty() {
                            items.push(TextItem::Text(run));
                        }
                        ops.push(Op::ShowText { items });
                    }
                }
                Item::Rule { x1, y1, x2, y2, width, color: c } => {
                    ops.push(Op::SaveGraphicsState);
                    ops.push(Op::SetOutlineColor { col: color(*c) });
                    ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                    ops.push(Op::DrawLine {
                        line: printpdf::Line {
                            points: vec![
                                printpdf::LinePoint { p: pt(*x1, *y1), bezier: false },
                                printpdf::LinePoint { p: pt(*x2, *y2), bezier: false },
                            ],
                            is_closed: false,
                        },
                    });
                    ops.push(Op::RestoreGraphicsState);
                }
                Item::Rect { x, y, w, h, color: c } => {
                    ops.push(Op::SaveGraphicsState);
                    ops.push(Op::SetFillColor { col: color(*c) });
                    ops.push(Op::DrawRectangle {
                        rectangle: printpdf::Rect {
                            x: Pt(*x),
                            y: Pt(*y),
                            width: Pt(*w),
                            height: Pt(*h),
                            mode: Some(PaintMode::Fill),
                            winding_order: None,
                        },
                    });
                    ops.push(Op::RestoreGraphicsState);
                }
                Item::Image { image, x, y, w, h, .. } => {
                    let Some(id) = image_ids.get(*image) else { continue };
                    ops.push(Op::UseXobject {
                        id: id.clone(),
                        transform: XObjectTransform {
                            translate_x: Some(Pt(*x)),
                            translate_y: Some(Pt(*y)),
                            scale_x: Some(*w),
                            scale_y: Some(*h),
                            no_auto_scale: true,
                            ..Default::default()
                        },
                    });
                }
                Item::Link { x, y, w, h, target, tag } => {
                    links.push(*tag);
                    let actions = match target {
                        LinkTarget::Uri(u) => Actions::Uri(u.clone()),
                        LinkTarget::Page(p) => {
                            Actions::Goto(Destination::Xyz { page: p + 1, left: None, top: None, zoom: None })
                        }
                    };
                    ops.push(Op::LinkAnnotation {
                        link: LinkAnnotation::new(
                            printpdf::Rect::from_xywh(Pt(*x), Pt(*y), Pt(*w), Pt(*h)),
                            actions,
                            Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                            Some(ColorArray::Transparent),
                            Some(HighlightingMode::Invert),
                        ),
                    });
                }
            }
        }
        if in_text {
            ops.push(Op::EndTextSection);
        }
        if open.is_some_and(|m| m != Mark::None) {
            ops.push(Op::EndMarkedContent);
        }
        tagging.mcids.push(mcids);
        tagging.links.push(links);
        let mut p = PdfPage::new(printpdf::Mm(0.0), printpdf::Mm(0.0), ops);
        let r = printpdf::Rect::from_wh(Pt(doc.width), Pt(doc.height));
        p.media_box = r.clone();
        p.trim_box = match &doc.print_boxes {
            Some(b) => printpdf::Rect::from_xywh(
                Pt(b.trim[0]),
                Pt(b.trim[1]),
                Pt(b.trim[2] - b.trim[0]),
                Pt(b.trim[3] - b.trim[1]),
            ),
            None => r.clone(),
        };
        p.crop_box = r;
        pdf.pages.push(p);
        progress(index + 1, total);
    }
    // Metadata.
    let d = options.date.to_offset(time::UtcOffset::UTC);
    let date = printpdf::OffsetDateTime::new_in_offset(
        printpdf::date::Date { year: d.year(), month: u8::from(d.month()), day: d.day() },
        printpdf::date::Time { hour: d.hour(), minute: d.minute(), second: d.second(), millisecond: 0 },
        printpdf::date::Offset { hours: 0, minutes: 0, seconds: 0, milliseconds: 0 },
    );
    {
        let info = &mut pdf.metadata.info;
        info.document_title = doc.title.clone();
        info.author = doc.author.clone();
        info.subject = doc.subject.clone();
        info.keywords = doc.keywords.clone();
        info.creator = "Learning City Portraits".into();
        info.producer = format!("Learning City Portraits {} (printpdf 0.12.8)", env!("CARGO_PKG_VERSION"));
        info.creation_date = date;
        info.modification_date = date;
        info.metadata_date = date;
    }
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings);
    // The printpdf document is done with: freed on another thread, off the export's path.
    std::thread::spawn(move || drop(pdf));
    // The streams (page contents, fonts) are compressed on other threads while the outline,
    // labels and structure tree are written, then put back.
    let ids: Vec<lopdf::ObjectId> = lo
        .objects
        .iter()
        .filter(|(_, o)| matches!(o, Object::Stream(s) if s.allows_compression && s.dict.get(b"Filter").is_err()))
        .map(|(id, _)| *id)
        .collect();
    let mut streams: Vec<(lopdf::ObjectId, lopdf::Stream)> = ids
        .into_iter()
        .filter_map(|id| match lo.objects.remove(&id) {
            Some(Object::Stream(s)) => Some((id, s)),
            _ => None,
        })
        .collect();
    let done = std::thread::scope(|scope| {
        let compressing = scope.spawn(|| compress_streams(&mut streams));
        let written = fix_up(&mut lo, doc).and_then(|()| {
            if tagged {
                structure::write(&mut lo, doc, &tagging, date_xmp(options))
            } else {
                Ok(())
            }
        });
        let compressed =
            compressing.join().unwrap_or_else(|_| Err(BookletError::Pdf("a compression thread failed".into())));
        written.and(compressed)
    });
    done?;
    for (id, stream) in streams {
        lo.objects.insert(id, Object::Stream(stream));
    }
    let mut out = Vec::new();
    // A classic cross-reference table: object streams would make a tagged file half the size
    // (its thousands of small structure elements compressed) at a sixth of the export's time.
    lo.save_to(&mut out).map_err(|e| BookletError::Pdf(e.to_string()))?;
    std::thread::spawn(move || drop(lo));
    Ok(out)
}

/// Compresses streams with zlib level 4 (3 % larger than the default 6 for a third less
/// time), shared out among the machine's cores.
fn compress_streams(streams: &mut [(lopdf::ObjectId, lopdf::Stream)]) -> Result<(), BookletError> {
    use std::io::Write;
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let chunk = streams.len().div_ceil(threads).max(1);
    let compress = |part: &mut [(lopdf::ObjectId, lopdf::Stream)]| -> Result<(), String> {
        for (_, stream) in part {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(4));
            z.write_all(&stream.content).map_err(|e| e.to_string())?;
            let compressed = z.finish().map_err(|e| e.to_string())?;
            if compressed.len() < stream.content.len() {
                stream.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
                stream.set_content(compressed);
            }
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = streams.chunks_mut(chunk).map(|part| scope.spawn(move || compress(part))).collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a compression thread failed".to_string())?)
    })
    .map_err(BookletError::Pdf)
}

/// What the content streams marked: per page, the element of each MCID and of each link
/// annotation (in the order printpdf writes the page's /Annots).
#[derive(Debug, Default)]
pub(super) struct Tagging {
    pub mcids: Vec<Vec<usize>>,
    pub links: Vec<Vec<Tag>>,
}

/// How an item is marked in the content stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// Content of a structure element: `/Role <</MCID n>> BDC`.
    Content(usize, Role),
    /// Untagged text (page numbers, a table header set again): `/Artifact <</Type
    /// /Pagination>> BDC`.
    Pagination,
    /// Rules and backgrounds: `/Artifact BMC`.
    Layout,
    /// Not content (link annotations), or an untagged document: no mark.
    None,
}

fn mark_of(item: &Item, structure: &[StructNode]) -> Mark {
    let tag = match item {
        Item::Link { .. } => return Mark::None,
        Item::Text { tag, .. } | Item::Image { tag, .. } => *tag,
        Item::Rule { .. } | Item::Rect { .. } => None,
    };
    match tag.and_then(|t| structure.get(t).map(|n| (t, n.role))) {
        Some((node, role)) => Mark::Content(node, role),
        None if matches!(item, Item::Text { .. }) => Mark::Pagination,
        None => Mark::Layout,
    }
}

/// Opens a marked-content sequence; a structure element's gets the page's next MCID.
fn begin_mark(ops: &mut Vec<Op>, mark: Mark, mcids: &mut Vec<usize>) {
    match mark {
        Mark::Content(node, role) => {
            let mut props = BTreeMap::new();
            props.insert("MCID".to_string(), DictItem::Int(mcids.len() as i64));
            mcids.push(node);
            ops.push(Op::BeginMarkedContentWithProperties {
                tag: role.name().to_string(),
                properties: DictItem::Dict { map: props },
            });
        }
        Mark::Pagination => {
            let mut props = BTreeMap::new();
            props.insert("Type".to_string(), DictItem::Name(b"Pagination".to_vec()));
            ops.push(Op::BeginMarkedContentWithProperties {
                tag: "Artifact".to_string(),
                properties: DictItem::Dict { map: props },
            });
        }
        Mark::Layout => ops.push(Op::BeginMarkedContent { tag: "Artifact".to_string() }),
        Mark::None => {}
    }
}

/// The export date for XMP (ISO 8601, UTC).
fn date_xmp(options: &Options) -> String {
    let d = options.date.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

pub(super) fn utf16(s: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// The lopdf pass: outline, page mode, page labels, Info clean-up, PDF version, /ID.
fn fix_up(lo: &mut lopdf::Document, doc: &Document) -> Result<(), BookletError> {
    let err = |e: lopdf::Error| BookletError::Pdf(e.to_string());
    let pages: Vec<lopdf::ObjectId> = lo.get_pages().values().copied().collect();
    // Outline: one entry per marked page, in document order.
    let entries: Vec<_> = doc.outline.iter().filter(|e| e.page < pages.len()).collect();
    if !entries.is_empty() {
        let root_id = lo.new_object_id();
        let ids: Vec<lopdf::ObjectId> = entries.iter().map(|_| lo.new_object_id()).collect();
        for (i, e) in entries.iter().enumerate() {
            let mut d = Dictionary::new();
            d.set("Title", utf16(&e.title));
            d.set("Parent", Object::Reference(root_id));
            if i > 0 {
                d.set("Prev", Object::Reference(ids[i - 1]));
            }
            if i + 1 < ids.len() {
                d.set("Next", Object::Reference(ids[i + 1]));
            }
            d.set("Dest", Object::Array(vec![Object::Reference(pages[e.page]), Object::Name(b"Fit".to_vec())]));
            lo.objects.insert(ids[i], Object::Dictionary(d));
        }
        let mut root = Dictionary::new();
        root.set("Type", Object::Name(b"Outlines".to_vec()));
        root.set("First", Object::Reference(ids[0]));
        root.set("Last", Object::Reference(ids[ids.len() - 1]));
        root.set("Count", Object::Integer(ids.len() as i64));
        lo.objects.insert(root_id, Object::Dictionary(root));
        let catalog = lo.catalog_mut().map_err(err)?;
        catalog.set("Outlines", Object::Reference(root_id));
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    }
    // Print output: the trim and bleed boxes of every page, as [x0 y0 x1 y1] (printpdf writes
    // the media box, and a trim box equal to it).
    if let Some(b) = &doc.print_boxes {
        let rect = |r: &[f32; 4]| Object::Array(r.iter().map(|v| Object::Real(*v)).collect());
        for id in &pages {
            if let Ok(d) = lo.get_dictionary_mut(*id) {
                d.set("TrimBox", rect(&b.trim));
                d.set("BleedBox", rect(&b.bleed));
            }
        }
    }
    // Page labels.
    let mut nums = Vec::new();
    for r in &doc.labels {
        let mut d = Dictionary::new();
        match r.style {
            LabelStyle::RomanLower => d.set("S", Object::Name(b"r".to_vec())),
            LabelStyle::Decimal => d.set("S", Object::Name(b"D".to_vec())),
            LabelStyle::None => {}
        }
        if !r.prefix.is_empty() {
            d.set("P", utf16(&r.prefix));
        }
        if r.start != 1 {
            d.set("St", Object::Integer(i64::from(r.start)));
        }
        nums.push(Object::Integer(r.first_page as i64));
        nums.push(Object::Dictionary(d));
    }
    if !nums.is_empty() {
        let mut labels = Dictionary::new();
        labels.set("Nums", Object::Array(nums));
        lo.catalog_mut().map_err(err)?.set("PageLabels", Object::Dictionary(labels));
    }
    // Info: printpdf adds an empty /GTS_PDFXVersion (which makes readers call it PDF/X) and an
    // empty /Identifier.
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(Object::as_reference) {
        if let Ok(d) = lo.get_dictionary_mut(info_id) {
            d.remove(b"GTS_PDFXVersion");
            d.remove(b"Identifier");
        }
    }
    // Soft masks and Type0 fonts are PDF 1.4 features.
    lo.version = "1.4".into();
    // A document ID derived from the content, so identical input gives identical files.
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(doc.title.as_bytes());
    hasher.update((doc.pages.len() as u64).to_le_bytes());
    for page in &doc.pages {
        for item in &page.items {
            if let Item::Text { line, x, y, .. } = item {
                hasher.update(line.text().as_bytes());
                hasher.update(x.to_le_bytes());
                hasher.update(y.to_le_bytes());
            }
        }
    }
    for img in &doc.images {
        hasher.update(&img.bytes);
    }
    let digest = hasher.finalize();
    let id = Object::String(digest[..16].to_vec(), StringFormat::Hexadecimal);
    lo.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    Ok(())
}
