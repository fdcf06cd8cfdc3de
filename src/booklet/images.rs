//! Photos for the booklet: JPEG files are checked (markers, dimensions, components) and embedded
//! byte for byte with /DCTDecode — never decoded or re-encoded; PNG files are decoded and
//! embedded losslessly with /FlateDecode (alpha as a soft mask).

/// Largest image accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Largest image accepted, in pixels per side.
pub const MAX_SIDE: u32 = 12_000;
/// Largest image accepted, in pixels (width × height): 25 megapixels, far more than an A5 page
/// needs at 300 dpi, and at most 100 MB once decoded (RGBA). A small PNG that would decode to
/// gigabytes is refused from its header, before anything is decoded.
pub const MAX_PIXELS: u64 = 25_000_000;

/// A photo's format, as its bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImageKind {
    /// JPEG, embedded as is; 1 = grey, 3 = RGB (YCbCr), 4 = CMYK.
    Jpeg { components: u8 },
    /// Decoded PNG: 8-bit grey or RGB samples, and the alpha channel if any.
    Png { rgb: bool, pixels: Vec<u8>, alpha: Option<Vec<u8>> },
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ImageError {
    #[error("image is {0} bytes; at most {MAX_IMAGE_BYTES} bytes are accepted")]
    TooLarge(usize),
    #[error("image is {0}×{1} pixels; at most {MAX_SIDE} pixels a side and {MAX_PIXELS} pixels in all are accepted")]
    TooManyPixels(u32, u32),
    #[error("not a JPEG or PNG image")]
    UnknownFormat,
    #[error("corrupt JPEG: {0}")]
    CorruptJpeg(String),
    #[error("corrupt PNG: {0}")]
    CorruptPng(String),
}

/// Checks a photo from its header alone, without decoding it: the format, the size in bytes,
/// the dimensions and the pixel budget. What `media add`, the sync and the server's upload
/// call before they store a photo.
pub fn check(bytes: &[u8]) -> Result<(Format, u32, u32), ImageError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge(bytes.len()));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let (w, h, _) = jpeg_info(bytes)?;
        check_side(w, h)?;
        return Ok((Format::Jpeg, w, h));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().map_err(|e| ImageError::CorruptPng(e.to_string()))?;
        let (w, h) = (reader.info().width, reader.info().height);
        check_side(w, h)?;
        return Ok((Format::Png, w, h));
    }
    Err(ImageError::UnknownFormat)
}

/// Reads an image's kind and size, checking it can be embedded. A PNG is decoded only after
/// its header passed the pixel budget.
pub fn load(bytes: &[u8]) -> Result<(ImageKind, u32, u32), ImageError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge(bytes.len()));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let (w, h, c) = jpeg_info(bytes)?;
        check_side(w, h)?;
        return Ok((ImageKind::Jpeg { components: c }, w, h));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return png_decode(bytes);
    }
    Err(ImageError::UnknownFormat)
}

fn check_side(w: u32, h: u32) -> Result<(), ImageError> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels(w, h));
    }
    Ok(())
}

/// Walks the JPEG markers to the frame header: (width, height, components). Also requires the
/// end-of-image marker, so a truncated file is refused.
pub fn jpeg_info(b: &[u8]) -> Result<(u32, u32, u8), ImageError> {
    let bad = |m: &str| ImageError::CorruptJpeg(m.to_string());
    if !b.ends_with(&[0xFF, 0xD9]) {
        return Err(bad("truncated: no end-of-image marker"));
    }
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return Err(bad("marker expected"));
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if len < 2 || i + 2 + len > b.len() {
            return Err(bad("segment runs past the end"));
        }
        // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
            if len < 8 {
                return Err(bad("short frame header"));
            }
            let h = u32::from(u16::from_be_bytes([b[i + 5], b[i + 6]]));
            let w = u32::from(u16::from_be_bytes([b[i + 7], b[i + 8]]));
            let c = b[i + 9];
            if ![1, 3, 4].contains(&c) {
                return Err(bad(&format!("{c} colour components")));
            }
            return Ok((w, h, c));
        }
        if marker == 0xDA {
            break;
        }
        i += 2 + len;
    }
    Err(bad("no frame header"))
}

fn png_decode(bytes: &[u8]) -> Result<(ImageKind, u32, u32), ImageError> {
    let bad = |e: &dyn std::fmt::Display| ImageError::CorruptPng(e.to_string());
    let mut decoder =
        png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png::Limits { bytes: 128 * 1024 * 1024 });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad(&e))?;
    let (w, h) = (reader.info().width, reader.info().height);
    check_side(w, h)?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| bad(&"image too large"))?];
    let frame = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
    buf.truncate(frame.buffer_size());
    let px = (w as usize) * (h as usize);
    let (rgb, pixels, alpha) = match frame.color_type {
        png::ColorType::Grayscale => (false, buf, None),
        png::ColorType::Rgb => (true, buf, None),
        png::ColorType::GrayscaleAlpha => {
            let (mut g, mut a) = (Vec::with_capacity(px), Vec::with_capacity(px));
            for ch in buf.chunks_exact(2) {
                g.push(ch[0]);
                a.push(ch[1]);
            }
            (false, g, Some(a))
        }
        png::ColorType::Rgba => {
            let (mut c, mut a) = (Vec::with_capacity(px * 3), Vec::with_capacity(px));
            for ch in buf.chunks_exact(4) {
                c.extend_from_slice(&ch[..3]);
                a.push(ch[3]);
            }
            (true, c, Some(a))
        }
        png::ColorType::Indexed => return Err(bad(&"palette not expanded")),
    };
    Ok((ImageKind::Png { rgb, pixels, alpha }, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/images/photo.jpg");

    #[test]
    fn reads_jpeg_dimensions_and_refuses_truncation() {
        let j = PHOTO.to_vec();
        assert_eq!(jpeg_info(&j).unwrap(), (480, 320, 3));
        assert!(matches!(load(&j[..j.len() - 10]), Err(ImageError::CorruptJpeg(_))));
        assert_eq!(load(b"GIF89a"), Err(ImageError::UnknownFormat));
    }

    #[test]
    fn decodes_png_losslessly() {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, 2, 1);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[255, 0, 0, 128, 0, 255, 0, 255]).unwrap();
        }
        let (kind, w, h) = load(&out).unwrap();
        assert_eq!((w, h), (2, 1));
        assert_eq!(kind, ImageKind::Png { rgb: true, pixels: vec![255, 0, 0, 0, 255, 0], alpha: Some(vec![128, 255]) });
    }

    /// A PNG of a few KB whose pixels would take gigabytes: refused from its header by `check`
    /// and by `load`, before anything is decoded.
    #[test]
    fn a_png_bomb_is_refused_from_its_header() {
        let (w, h) = (6_000u32, 6_000u32); // 36 megapixels: each side allowed, the area not
        #[derive(Clone)]
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink(Default::default());
        {
            let mut enc = png::Encoder::new(sink.clone(), w, h);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Sixteen);
            let mut wr = enc.write_header().unwrap().into_stream_writer().unwrap();
            let row = vec![0u8; w as usize * 8];
            use std::io::Write;
            for _ in 0..h {
                wr.write_all(&row).unwrap();
            }
            wr.finish().unwrap();
        }
        let out = sink.0.lock().unwrap().clone();
        assert!(out.len() < 2 * 1024 * 1024, "the bomb is small: {} bytes", out.len());
        assert_eq!(check(&out), Err(ImageError::TooManyPixels(w, h)));
        assert_eq!(load(&out).map(|(_, w, h)| (w, h)), Err(ImageError::TooManyPixels(w, h)));
        assert_eq!(check(PHOTO), Ok((Format::Jpeg, 480, 320)));
    }
}
