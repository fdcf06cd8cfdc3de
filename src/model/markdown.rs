//! The Markdown subset of the narrative sections: paragraphs, bullet and numbered lists (one
//! level of nesting), emphasis and strong emphasis. Parsed with pulldown-cmark into a small
//! block tree that the booklet, the search index and the UI all render from.
//!
//! Anything outside the subset degrades to its text: headings become paragraphs, links become
//! their text, code becomes plain text, and raw HTML is always literal text, never markup.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
pub struct Span {
    pub text: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub emphasis: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub strong: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A block of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Paragraph { spans: Vec<Span> },
    List(List),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
pub struct List {
    /// The first number of a numbered list; `None` for bullets.
    pub start: Option<u64>,
    pub items: Vec<ListItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
pub struct ListItem {
    pub spans: Vec<Span>,
    /// A nested list, one level deep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<List>,
}

#[derive(Default)]
struct Style {
    emphasis: u32,
    strong: u32,
}

/// Parses a section into blocks. Never fails: whatever is not in the subset becomes text.
pub fn parse(md: &str) -> Vec<Block> {
    // No extensions: tables, footnotes, strikethrough … are not in the subset and stay text.
    let parser = Parser::new_ext(md, Options::empty());
    let mut blocks: Vec<Block> = Vec::new();
    // Stack of open lists; each holds its items; the item under construction is the last.
    let mut lists: Vec<List> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut style = Style::default();
    let mut in_item_stack: Vec<bool> = Vec::new();

    fn push_text(spans: &mut Vec<Span>, style: &Style, text: &str) {
        if text.is_empty() {
            return;
        }
        let (emphasis, strong) = (style.emphasis > 0, style.strong > 0);
        if let Some(last) = spans.last_mut() {
            if last.emphasis == emphasis && last.strong == strong {
                last.text.push_str(text);
                return;
            }
        }
        spans.push(Span { text: text.to_string(), emphasis, strong });
    }

    fn flush_paragraph(blocks: &mut Vec<Block>, lists: &mut [List], spans: &mut Vec<Span>) {
        trim_spans(spans);
        if spans.is_empty() {
            return;
        }
        let taken = std::mem::take(spans);
        if let Some(list) = lists.last_mut() {
            if let Some(item) = list.items.last_mut() {
                if !item.spans.is_empty() {
                    item.spans.push(Span { text: " ".into(), emphasis: false, strong: false });
                }
                item.spans.extend(taken);
                return;
            }
        }
        blocks.push(Block::Paragraph { spans: taken });
    }

    for event in parser {
        match event {
            Event::Start(Tag::Paragraph) | Event::Start(Tag::Heading { .. }) | Event::Start(Tag::BlockQuote(_)) => {}
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Heading(_)) => {
                flush_paragraph(&mut blocks, &mut lists, &mut spans);
            }
            Event::Start(Tag::List(start)) => {
                // A list inside an item: close the item's own text first.
                flush_paragraph(&mut blocks, &mut lists, &mut spans);
                lists.push(List { start, items: Vec::new() });
            }
            Event::End(TagEnd::List(_)) => {
                flush_paragraph(&mut blocks, &mut lists, &mut spans);
                if let Some(done) = lists.pop() {
                    match lists.last_mut().and_then(|l| l.items.last_mut()) {
                        Some(parent) => match &mut parent.children {
                            // Deeper nesting than one level is flattened into the child list.
                            Some(children) => children.items.extend(flatten(done)),
                            None => parent.children = Some(List { start: done.start, items: flatten(done) }),
                        },
                        None => blocks.push(Block::List(done)),
                    }
                }
            }
            Event::Start(Tag::Item) => {
                flush_paragraph(&mut blocks, &mut lists, &mut spans);
                in_item_stack.push(true);
                if let Some(list) = lists.last_mut() {
                    list.items.push(ListItem { spans: Vec::new(), children: None });
                }
            }
            Event::End(TagEnd::Item) => {
                flush_paragraph(&mut blocks, &mut lists, &mut spans);
                in_item_stack.pop();
            }
            Event::Start(Tag::Emphasis) => style.emphasis += 1,
            Event::End(TagEnd::Emphasis) => style.emphasis = style.emphasis.saturating_sub(1),
            Event::Start(Tag::Strong) => style.strong += 1,
            Event::End(TagEnd::Strong) => style.strong = style.strong.saturating_sub(1),
            Event::Text(t) | Event::Code(t) => push_text(&mut spans, &style, &t),
            // Raw HTML is shown as the characters the author typed, never interpreted.
            Event::Html(t) | Event::InlineHtml(t) => push_text(&mut spans, &style, &t),
            Event::SoftBreak | Event::HardBreak => push_text(&mut spans, &style, " "),
            Event::Start(Tag::CodeBlock(_)) | Event::End(TagEnd::CodeBlock) => {
                flush_paragraph(&mut blocks, &mut lists, &mut spans);
            }
            Event::Rule => flush_paragraph(&mut blocks, &mut lists, &mut spans),
            _ => {}
        }
    }
    flush_paragraph(&mut blocks, &mut lists, &mut spans);
    while let Some(done) = lists.pop() {
        blocks.push(Block::List(done));
    }
    blocks
}

fn flatten(list: List) -> Vec<ListItem> {
    let mut out = Vec::new();
    for mut item in list.items {
        let children = item.children.take();
        out.push(item);
        if let Some(c) = children {
            out.extend(flatten(c));
        }
    }
    out
}

fn trim_spans(spans: &mut Vec<Span>) {
    // Collapse runs of whitespace and trim the ends, across span boundaries.
    for s in spans.iter_mut() {
        let mut collapsed = String::with_capacity(s.text.len());
        let mut prev_space = false;
        for ch in s.text.chars() {
            let space = ch.is_whitespace();
            if !(space && prev_space) {
                collapsed.push(if space { ' ' } else { ch });
            }
            prev_space = space;
        }
        s.text = collapsed;
    }
    if let Some(first) = spans.first_mut() {
        first.text = first.text.trim_start().to_string();
    }
    if let Some(last) = spans.last_mut() {
        last.text = last.text.trim_end().to_string();
    }
    spans.retain(|s| !s.text.is_empty());
}

/// Plain text of a section: paragraphs and list items on their own lines.
pub fn plain_text(md: &str) -> String {
    let mut out = String::new();
    for block in parse(md) {
        match block {
            Block::Paragraph { spans } => {
                out.push_str(&spans_text(&spans));
                out.push('\n');
            }
            Block::List(list) => list_text(&list, &mut out),
        }
    }
    out
}

fn list_text(list: &List, out: &mut String) {
    for item in &list.items {
        out.push_str(&spans_text(&item.spans));
        out.push('\n');
        if let Some(c) = &item.children {
            list_text(c, out);
        }
    }
}

/// The text of a run of spans.
pub fn spans_text(spans: &[Span]) -> String {
    spans.iter().map(|s| s.text.as_str()).collect()
}

/// Paragraphs of a section for a paragraph-level merge: the text split on blank lines.
pub fn paragraphs(md: &str) -> Vec<String> {
    md.split("\n\n").map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Block {
        Block::Paragraph { spans: vec![Span { text: text.into(), emphasis: false, strong: false }] }
    }

    #[test]
    fn paragraphs_and_lists() {
        let blocks = parse("Intro line\nwrapped.\n\n- one\n- two\n\nAfter.");
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0], p("Intro line wrapped."));
        match &blocks[1] {
            Block::List(l) => {
                assert_eq!(l.start, None);
                assert_eq!(l.items.len(), 2);
                assert_eq!(spans_text(&l.items[1].spans), "two");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(blocks[2], p("After."));
    }

    #[test]
    fn numbered_and_nested() {
        let blocks = parse("1. first\n2. second\n   - a\n   - b\n3. third");
        let Block::List(l) = &blocks[0] else { panic!() };
        assert_eq!(l.start, Some(1));
        assert_eq!(l.items.len(), 3);
        let kids = l.items[1].children.as_ref().unwrap();
        assert_eq!(kids.items.len(), 2);
        assert_eq!(spans_text(&kids.items[1].spans), "b");
    }

    #[test]
    fn emphasis_and_strong() {
        let blocks = parse("A *b* **c**");
        let Block::Paragraph { spans } = &blocks[0] else { panic!() };
        assert_eq!(spans.len(), 4);
        assert!(spans[1].emphasis && !spans[1].strong);
        assert!(spans[3].strong);
    }

    #[test]
    fn raw_html_is_text() {
        let blocks = parse("<script>alert(1)</script>\n\nSee <b>this</b> & [link](javascript:x).");
        let all: String = blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph { spans } => spans_text(spans),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("|");
        assert!(all.contains("<script>alert(1)</script>"), "{all}");
        assert!(all.contains("See <b>this</b> & link."), "{all}");
        assert!(!all.contains("javascript"));
    }

    #[test]
    fn headings_become_paragraphs() {
        assert_eq!(parse("# Title\n\ntext"), vec![p("Title"), p("text")]);
    }
}
