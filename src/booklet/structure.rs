//! The tagged PDF: the layout's structure tree ([`StructNode`]s) written as the PDF's logical
//! structure after printpdf has written the pages, with lopdf.
//!
//! Owns: the StructTreeRoot and its elements (standard types only: Document, Sect, H1, H2, P,
//! L/LI/Lbl/LBody, Table/TR/TH/TD with column scope, Figure with Alt and BBox, Link with its
//! annotation's OBJR, BlockQuote), the ParentTree, each page's /StructParents and /Tabs /S,
//! annotations as indirect objects with /StructParent and /Contents, /MarkInfo, /Lang,
//! DisplayDocTitle and the XMP metadata (title, author, subject, language, dates).
//! The content streams' marks (`/P <</MCID n>> BDC … EMC`, `/Artifact BMC`) are made by the
//! page writer in `pdf.rs`; this module reads what it recorded ([`Tagging`]).
//! Must not: lay anything out, or change the page content.

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use super::layout::{Document, Role};
use super::pdf::{utf16, Tagging};
use super::BookletError;

fn name(s: &str) -> Object {
    Object::Name(s.as_bytes().to_vec())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The XMP packet: the PDF/UA-1 identification, Dublin Core title, creator, description and
/// language, the PDF producer and keywords, the dates.
fn xmp(doc: &Document, date: &str) -> String {
    let e = xml_escape;
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
            "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ",
            "xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" ",
            "xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\">\n",
            "<pdfuaid:part>1</pdfuaid:part>\n",
            "<dc:format>application/pdf</dc:format>\n",
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n",
            "<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n",
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n",
            "<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>\n",
            "<pdf:Producer>Learning City Portraits {version} (printpdf 0.12.8)</pdf:Producer>\n",
            "<pdf:Keywords>{keywords}</pdf:Keywords>\n",
            "<xmp:CreatorTool>Learning City Portraits</xmp:CreatorTool>\n",
            "<xmp:CreateDate>{date}</xmp:CreateDate>\n",
            "<xmp:ModifyDate>{date}</xmp:ModifyDate>\n",
            "<xmp:MetadataDate>{date}</xmp:MetadataDate>\n",
            "</rdf:Description>\n",
            "</rdf:RDF>\n",
            "</x:xmpmeta>\n",
            "<?xpacket end=\"w\"?>"
        ),
        title = e(&doc.title),
        author = e(&doc.author),
        subject = e(&doc.subject),
        lang = e(&doc.lang),
        version = env!("CARGO_PKG_VERSION"),
        keywords = e(&doc.keywords.join(", ")),
        date = date,
    )
}

/// Writes the structure tree of `doc` into `lo`, whose pages carry the marks `tagging` lists.
pub(super) fn write(
    lo: &mut lopdf::Document,
    doc: &Document,
    tagging: &Tagging,
    date: String,
) -> Result<(), BookletError> {
    let err = |e: lopdf::Error| BookletError::Pdf(format!("structure tree: {e}"));
    let pages: Vec<ObjectId> = lo.get_pages().values().copied().collect();
    let n = doc.structure.len();
    let root_id = lo.new_object_id();
    let ids: Vec<ObjectId> = (0..n).map(|_| lo.new_object_id()).collect();
    // Kids of each element: its marked content (page by page, in content order) and link
    // annotations, then its child elements in reading order.
    let mut kids: Vec<Vec<Object>> = vec![Vec::new(); n];
    let mut first_page: Vec<Option<ObjectId>> = vec![None; n];
    let mut nums: Vec<Object> = Vec::new();
    for (p, mcids) in tagging.mcids.iter().enumerate() {
        let Some(&page_id) = pages.get(p) else { continue };
        let mut parents = Vec::with_capacity(mcids.len());
        for (mcid, node) in mcids.iter().enumerate() {
            let mut mcr = Dictionary::new();
            mcr.set("Type", name("MCR"));
            mcr.set("Pg", Object::Reference(page_id));
            mcr.set("MCID", Object::Integer(mcid as i64));
            kids[*node].push(Object::Dictionary(mcr));
            first_page[*node].get_or_insert(page_id);
            parents.push(Object::Reference(ids[*node]));
        }
        nums.push(Object::Integer(p as i64));
        nums.push(Object::Array(parents));
        if let Ok(d) = lo.get_dictionary_mut(page_id) {
            d.set("StructParents", Object::Integer(p as i64));
        }
    }
    // The text of each Link element, for its annotation's description.
    let mut link_text: rustc_hash::FxHashMap<usize, String> = doc
        .structure
        .iter()
        .enumerate()
        .filter(|(_, n)| n.role == Role::Link)
        .map(|(i, _)| (i, String::new()))
        .collect();
    for page in &doc.pages {
        for item in &page.items {
            if let super::layout::Item::Text { line, tag: Some(t), .. } = item {
                if let Some(text) = link_text.get_mut(t) {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(line.text().trim());
                }
            }
        }
    }
    // Link annotations: each an indirect object, a kid of its Link element, with its own key
    // in the parent tree.
    let mut next_key = pages.len() as i64;
    for (p, links) in tagging.links.iter().enumerate() {
        let Some(&page_id) = pages.get(p) else { continue };
        if links.is_empty() {
            continue;
        }
        let annots = match lo.get_dictionary(page_id).and_then(|d| d.get(b"Annots")) {
            Ok(Object::Array(a)) => a.clone(),
            Ok(Object::Reference(r)) => lo.get_object(*r).and_then(Object::as_array).cloned().map_err(err)?,
            _ => Vec::new(),
        };
        let mut refs = Vec::with_capacity(annots.len());
        for (i, annot) in annots.into_iter().enumerate() {
            let (annot_id, mut dict) = match annot {
                Object::Reference(r) => (r, lo.get_dictionary(r).map_err(err)?.clone()),
                Object::Dictionary(d) => (lo.new_object_id(), d),
                _ => continue,
            };
            if let Some(Some(node)) = links.get(i) {
                dict.set("StructParent", Object::Integer(next_key));
                dict.set("Contents", utf16(link_text.get(node).map_or("", String::as_str)));
                let mut objr = Dictionary::new();
                objr.set("Type", name("OBJR"));
                objr.set("Pg", Object::Reference(page_id));
                objr.set("Obj", Object::Reference(annot_id));
                kids[*node].push(Object::Dictionary(objr));
                nums.push(Object::Integer(next_key));
                nums.push(Object::Reference(ids[*node]));
                next_key += 1;
            }
            lo.objects.insert(annot_id, Object::Dictionary(dict));
            refs.push(Object::Reference(annot_id));
        }
        if let Ok(d) = lo.get_dictionary_mut(page_id) {
            d.set("Annots", Object::Array(refs));
            d.set("Tabs", name("S"));
        }
    }
    for (i, node) in doc.structure.iter().enumerate() {
        if let Some(parent) = node.parent {
            kids[parent].push(Object::Reference(ids[i]));
        }
    }
    for (i, node) in doc.structure.iter().enumerate() {
        // (/Type /StructElem is optional: left out, as are /Pg and MCR dictionaries wherever
        // plain MCIDs say it, to keep the thousands of elements small.)
        let mut d = Dictionary::new();
        d.set("S", name(node.role.name()));
        d.set("P", Object::Reference(node.parent.map_or(root_id, |p| ids[p])));
        if let Some(pg) = first_page[i] {
            d.set("Pg", Object::Reference(pg));
        }
        let mut k = std::mem::take(&mut kids[i]);
        // Marked content all on the element's page: plain MCIDs (the element's /Pg applies),
        // a third of the bytes of MCR dictionaries.
        let one_page = k.iter().all(|o| match o {
            Object::Dictionary(m) => {
                m.get(b"Type").ok() != Some(&name("MCR"))
                    || m.get(b"Pg").ok() == first_page[i].map(Object::Reference).as_ref()
            }
            _ => true,
        });
        if one_page {
            for o in &mut k {
                if let Object::Dictionary(m) = o {
                    if m.get(b"Type").ok() == Some(&name("MCR")) {
                        if let Ok(mcid) = m.get(b"MCID").cloned() {
                            *o = mcid;
                        }
                    }
                }
            }
        }
        d.set("K", if k.len() == 1 && matches!(k[0], Object::Integer(_)) { k.remove(0) } else { Object::Array(k) });
        if let Some(alt) = &node.alt {
            d.set("Alt", utf16(alt));
        }
        if let Some(lang) = &node.lang {
            d.set("Lang", Object::String(lang.as_bytes().to_vec(), StringFormat::Literal));
        }
        match node.role {
            Role::TH => {
                let mut a = Dictionary::new();
                a.set("O", name("Table"));
                a.set("Scope", name("Column"));
                d.set("A", Object::Dictionary(a));
            }
            Role::Figure => {
                if let Some((page, b)) = node.bbox {
                    let mut a = Dictionary::new();
                    a.set("O", name("Layout"));
                    a.set("BBox", Object::Array(b.iter().map(|v| Object::Real(*v)).collect()));
                    d.set("A", Object::Dictionary(a));
                    if let Some(pg) = pages.get(page) {
                        d.set("Pg", Object::Reference(*pg));
                    }
                }
            }
            _ => {}
        }
        lo.objects.insert(ids[i], Object::Dictionary(d));
    }
    let mut parent_tree = Dictionary::new();
    parent_tree.set("Nums", Object::Array(nums));
    let mut root = Dictionary::new();
    root.set("Type", name("StructTreeRoot"));
    if n > 0 {
        root.set("K", Object::Reference(ids[0]));
    }
    root.set("ParentTree", Object::Dictionary(parent_tree));
    root.set("ParentTreeNextKey", Object::Integer(next_key));
    lo.objects.insert(root_id, Object::Dictionary(root));

    let mut meta = Dictionary::new();
    meta.set("Type", name("Metadata"));
    meta.set("Subtype", name("XML"));
    let mut stream = Stream::new(meta, xmp(doc, &date).into_bytes());
    stream.allows_compression = false;
    let meta_id = lo.add_object(Object::Stream(stream));

    let catalog = lo.catalog_mut().map_err(err)?;
    catalog.set("StructTreeRoot", Object::Reference(root_id));
    let mut mark_info = Dictionary::new();
    mark_info.set("Marked", Object::Boolean(true));
    catalog.set("MarkInfo", Object::Dictionary(mark_info));
    catalog.set("Lang", Object::String(doc.lang.as_bytes().to_vec(), StringFormat::Literal));
    let mut prefs = Dictionary::new();
    prefs.set("DisplayDocTitle", Object::Boolean(true));
    catalog.set("ViewerPreferences", Object::Dictionary(prefs));
    catalog.set("Metadata", Object::Reference(meta_id));
    // Structure trees are PDF 1.3, MarkInfo and Lang 1.4; PDF/UA-1 is built on PDF 1.7.
    lo.version = "1.7".into();
    Ok(())
}
