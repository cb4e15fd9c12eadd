//! The terminal drawing: each step a box, boxes stacked in order with
//! arrows, parallel branches and a conditional's then/else side by side
//! between a fork and a join, a fallback to the right of its step.
//!
//! Layout is by blocks: a block is a rectangle of cells with one "anchor"
//! column where the arrow comes in at the top and leaves at the bottom.
//! Sequences stack blocks with their anchors aligned; branches put blocks
//! side by side and join their anchors with a fork and a join line.
//!
//! A cell is one terminal column: a wide character (CJK, most emoji) takes
//! two, the second [`Glyph::Covered`], so boxes stay straight around it.

use unicode_width::UnicodeWidthChar;

use super::{Mark, Node, Picture, Shape};

/// How a piece of the drawing should look; the CLI picks the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Added,
    Removed,
    Changed,
    Faint,
}

impl From<Mark> for Tone {
    fn from(mark: Mark) -> Self {
        match mark {
            Mark::Unchanged => Tone::Plain,
            Mark::Added => Tone::Added,
            Mark::Removed => Tone::Removed,
            Mark::Changed => Tone::Changed,
        }
    }
}

/// The laid-out picture: lines of pieces of text, each with its tone.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    pub lines: Vec<Vec<(String, Tone)>>,
}

impl Drawing {
    /// The drawing as plain text, one line each, without trailing spaces.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            let text: String = line.iter().map(|(piece, _)| piece.as_str()).collect();
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Lays out a picture for the terminal.
pub fn draw(picture: &Picture) -> Drawing {
    let block = if picture.steps.is_empty() {
        Block::text("(no steps)", Tone::Faint, 0)
    } else {
        sequence(&picture.steps)
    };
    block.into_drawing()
}

/// The longest line inside a box before it wraps.
const WRAP: usize = 38;
/// Space between branches.
const GAP: usize = 3;
const FALLBACK_ARROW: &str = " ╌╌ if it fails ╌╌▶ ";

#[derive(Debug, Clone, PartialEq)]
struct Cell {
    glyph: Glyph,
    tone: Tone,
}

/// What one column shows.
#[derive(Debug, Clone, PartialEq)]
enum Glyph {
    Char(char),
    /// A character with the zero-width ones that follow it (combining
    /// accents, joiners).
    Cluster(Box<str>),
    /// The right part of a wide character: printed by the character.
    Covered,
}

impl Glyph {
    fn printed(&self) -> String {
        match self {
            Glyph::Char(ch) => ch.to_string(),
            Glyph::Cluster(cluster) => cluster.to_string(),
            Glyph::Covered => String::new(),
        }
    }
}

const BLANK: Cell = Cell {
    glyph: Glyph::Char(' '),
    tone: Tone::Plain,
};

/// `text` as columns.
fn glyphs(text: &str) -> Vec<Glyph> {
    let mut glyphs: Vec<Glyph> = Vec::new();
    for ch in text.chars() {
        // A control character keeps one column, as it always had.
        let width = ch.width().unwrap_or(1);
        if width == 0 {
            // Joins the character before it (a space when there is none).
            let base = match glyphs.iter().rposition(|glyph| *glyph != Glyph::Covered) {
                Some(at) => at,
                None => {
                    glyphs.push(Glyph::Char(' '));
                    glyphs.len() - 1
                }
            };
            let mut cluster = glyphs[base].printed();
            cluster.push(ch);
            glyphs[base] = Glyph::Cluster(cluster.into());
            continue;
        }
        glyphs.push(Glyph::Char(ch));
        glyphs.extend(std::iter::repeat_n(Glyph::Covered, width - 1));
    }
    glyphs
}

/// How many columns `text` takes.
fn width(text: &str) -> usize {
    glyphs(text).len()
}

#[derive(Debug, Clone)]
struct Block {
    rows: Vec<Vec<Cell>>,
    width: usize,
    /// The column where arrows enter at the top and leave at the bottom.
    anchor: usize,
}

impl Block {
    fn blank(width: usize, height: usize, anchor: usize) -> Block {
        Block {
            rows: vec![vec![BLANK; width]; height],
            width,
            anchor,
        }
    }

    /// One line of text.
    fn text(text: &str, tone: Tone, anchor: usize) -> Block {
        let cells: Vec<Cell> = glyphs(text)
            .into_iter()
            .map(|glyph| Cell { glyph, tone })
            .collect();
        Block {
            width: cells.len(),
            rows: vec![cells],
            anchor,
        }
    }

    fn height(&self) -> usize {
        self.rows.len()
    }

    /// The line-drawing character at a cell (a space for text).
    fn get(&self, row: usize, column: usize) -> char {
        match self.rows.get(row).and_then(|cells| cells.get(column)) {
            Some(Cell {
                glyph: Glyph::Char(ch),
                ..
            }) => *ch,
            _ => ' ',
        }
    }

    fn put(&mut self, row: usize, column: usize, glyph: Glyph, tone: Tone) {
        if let Some(cell) = self
            .rows
            .get_mut(row)
            .and_then(|cells| cells.get_mut(column))
        {
            *cell = Cell { glyph, tone };
        }
    }

    fn set(&mut self, row: usize, column: usize, ch: char, tone: Tone) {
        self.put(row, column, Glyph::Char(ch), tone);
    }

    fn write(&mut self, row: usize, column: usize, text: &str, tone: Tone) {
        for (offset, glyph) in glyphs(text).into_iter().enumerate() {
            self.put(row, column + offset, glyph, tone);
        }
    }

    /// Copies `other` into this block with its top-left corner at (row, column).
    fn paste(&mut self, other: &Block, row: usize, column: usize) {
        for (r, cells) in other.rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                if let Some(target) = self
                    .rows
                    .get_mut(row + r)
                    .and_then(|target| target.get_mut(column + c))
                {
                    *target = cell.clone();
                }
            }
        }
    }

    /// Adds rows below, continuing the arrow line down the anchor.
    fn extend_down(&mut self, height: usize) {
        while self.rows.len() < height {
            let mut row = vec![BLANK; self.width];
            row[self.anchor] = Cell {
                glyph: Glyph::Char('│'),
                tone: Tone::Plain,
            };
            self.rows.push(row);
        }
    }

    /// Lets the arrow out of the bottom edge: `─` becomes `┬` at the anchor.
    fn open_bottom(&mut self) {
        let Some(last) = self.rows.len().checked_sub(1) else {
            return;
        };
        let tee = match self.get(last, self.anchor) {
            '─' | '┄' => '┬',
            '━' => '┳',
            '═' => '╤',
            '┴' => '┼',
            _ => return,
        };
        let tone = self.rows[last][self.anchor].tone;
        self.set(last, self.anchor, tee, tone);
    }

    fn into_drawing(self) -> Drawing {
        let lines = self
            .rows
            .into_iter()
            .map(|cells| {
                let mut pieces: Vec<(String, Tone)> = Vec::new();
                for cell in cells {
                    let text = cell.glyph.printed();
                    if text.is_empty() {
                        continue;
                    }
                    match pieces.last_mut() {
                        Some((line, tone)) if *tone == cell.tone => line.push_str(&text),
                        _ => pieces.push((text, cell.tone)),
                    }
                }
                pieces
            })
            .collect();
        Drawing { lines }
    }
}

/// Blocks one under the other, anchors aligned; `arrows` puts a `▼` row
/// between them, otherwise they touch (a header over its fork).
fn stack(blocks: Vec<Block>, arrows: bool) -> Block {
    let left = blocks.iter().map(|block| block.anchor).max().unwrap_or(0);
    let right = blocks
        .iter()
        .map(|block| block.width - block.anchor)
        .max()
        .unwrap_or(1);
    let mut out = Block::blank(left + right, 0, left);
    let count = blocks.len();
    for (index, mut block) in blocks.into_iter().enumerate() {
        if index + 1 < count {
            block.open_bottom();
        }
        let top = out.height();
        out.rows
            .extend((0..block.height()).map(|_| vec![BLANK; out.width]));
        out.paste(&block, top, left - block.anchor);
        if arrows && index + 1 < count {
            let mut row = vec![BLANK; out.width];
            row[left] = Cell {
                glyph: Glyph::Char('▼'),
                tone: Tone::Plain,
            };
            out.rows.push(row);
        }
    }
    out
}

/// Columns side by side between a fork line and a join line.
fn branches(columns: Vec<Block>, arrows: bool) -> Block {
    let count = columns.len();
    let width =
        columns.iter().map(|column| column.width).sum::<usize>() + GAP * count.saturating_sub(1);
    let mut lefts = Vec::with_capacity(count);
    let mut x = 0;
    for column in &columns {
        lefts.push(x);
        x += column.width + GAP;
    }
    let anchors: Vec<usize> = columns
        .iter()
        .zip(&lefts)
        .map(|(column, left)| left + column.anchor)
        .collect();
    let first = anchors.first().copied().unwrap_or(0);
    let last = anchors.last().copied().unwrap_or(0);
    // An odd number of branches meets at the middle one's line.
    let middle = if count % 2 == 1 {
        anchors[count / 2]
    } else {
        (first + last) / 2
    };
    let body = columns.iter().map(Block::height).max().unwrap_or(0);
    let height = 2 + usize::from(arrows) + body;
    let mut out = Block::blank(width.max(1), height, middle);
    let join_row = height - 1;
    for (row, (start, end, tee, meet)) in
        [(0, ('┌', '┐', '┬', '┴')), (join_row, ('└', '┘', '┴', '┬'))]
    {
        if count == 1 {
            out.set(row, first, '│', Tone::Plain);
            continue;
        }
        for column in first..=last {
            out.set(row, column, '─', Tone::Plain);
        }
        out.set(row, first, start, Tone::Plain);
        out.set(row, last, end, Tone::Plain);
        for anchor in &anchors[1..count - 1] {
            out.set(row, *anchor, tee, Tone::Plain);
        }
        let at_middle = if anchors[1..count - 1].contains(&middle) {
            '┼'
        } else {
            meet
        };
        out.set(row, middle, at_middle, Tone::Plain);
    }
    let top = 1 + usize::from(arrows);
    for ((mut column, left), anchor) in columns.into_iter().zip(lefts).zip(&anchors) {
        if arrows {
            out.set(1, *anchor, '▼', Tone::Plain);
        }
        column.open_bottom();
        column.extend_down(body);
        out.paste(&column, top, left);
    }
    out
}

fn sequence(nodes: &[Node]) -> Block {
    stack(nodes.iter().map(node).collect(), true)
}

fn node(node: &Node) -> Block {
    let header = boxed(node);
    let block = match &node.shape {
        Shape::Task => header,
        Shape::Parallel(children) if children.is_empty() => header,
        Shape::Parallel(children) => stack(
            vec![
                header,
                branches(children.iter().map(self::node).collect(), true),
            ],
            false,
        ),
        Shape::Conditional { then, otherwise } => {
            let column = |label: &str, steps: &[Node]| {
                if steps.is_empty() {
                    Block::text(&format!("│ {label}: nothing"), Tone::Faint, 0)
                } else {
                    stack(
                        vec![
                            Block::text(&format!("│ {label}"), Tone::Faint, 0),
                            sequence(steps),
                        ],
                        true,
                    )
                }
            };
            stack(
                vec![
                    header,
                    branches(vec![column("then", then), column("else", otherwise)], false),
                ],
                false,
            )
        }
    };
    match &node.fallback {
        Some(fallback) => beside(block, self::node(fallback)),
        None => block,
    }
}

/// A step with the fallback that replaces it when it fails, to its right.
fn beside(mut primary: Block, fallback: Block) -> Block {
    let arrow = width(FALLBACK_ARROW);
    let width = primary.width + arrow + fallback.width;
    let height = primary.height().max(fallback.height());
    if primary.height() < height {
        primary.open_bottom();
        primary.extend_down(height);
    }
    let mut out = Block::blank(width, height, primary.anchor);
    out.paste(&primary, 0, 0);
    out.write(1, primary.width, FALLBACK_ARROW, Tone::Faint);
    out.paste(&fallback, 0, primary.width + arrow);
    out
}

/// A step's box: its id in the top edge, then what it is, what it reads
/// and gives, its error handling and timeout, and (in a diff) what changed.
fn boxed(node: &Node) -> Block {
    let tone = Tone::from(node.mark);
    let mut lines: Vec<(String, Tone)> = Vec::new();
    let mut add = |text: String, tone: Tone| {
        for line in wrap(&text, WRAP) {
            lines.push((line, tone));
        }
    };
    add(node.what.clone(), Tone::Plain);
    if !node.reads.is_empty() {
        add(format!("reads {}", node.reads.join(", ")), Tone::Plain);
    }
    if !node.outputs.is_empty() {
        add(format!("gives {}", node.outputs.join(", ")), Tone::Plain);
    }
    if let Some(on_error) = &node.on_error {
        add(format!("on error: {on_error}"), Tone::Plain);
    }
    if let Some(seconds) = node.timeout_secs {
        add(format!("timeout {seconds}s"), Tone::Plain);
    }
    if !node.changed.is_empty() {
        add(
            format!("changed: {}", node.changed.join(", ")),
            Tone::Changed,
        );
    }
    let title = match node.mark.sign() {
        Some(sign) => format!("{sign} {}", node.id),
        None => node.id.clone(),
    };
    let title = truncate(&title, WRAP);
    let inner = lines
        .iter()
        .map(|(line, _)| width(line))
        .max()
        .unwrap_or(0)
        .max(width(&title) + 2);
    let width = inner + 4;
    let (top_left, edge, top_right, side, bottom_left, bottom_right) = match node.mark {
        Mark::Unchanged => ('╭', '─', '╮', '│', '╰', '╯'),
        Mark::Added => ('┏', '━', '┓', '┃', '┗', '┛'),
        Mark::Removed => ('┌', '┄', '┐', '┆', '└', '┘'),
        Mark::Changed => ('╔', '═', '╗', '║', '╚', '╝'),
    };
    let mut block = Block::blank(width, lines.len() + 2, width / 2);
    let last = lines.len() + 1;
    for column in 0..width {
        block.set(0, column, edge, tone);
        block.set(last, column, edge, tone);
    }
    block.set(0, 0, top_left, tone);
    block.set(0, width - 1, top_right, tone);
    block.set(last, 0, bottom_left, tone);
    block.set(last, width - 1, bottom_right, tone);
    block.write(0, 2, &format!(" {title} "), tone);
    for (row, (line, line_tone)) in lines.iter().enumerate() {
        block.set(row + 1, 0, side, tone);
        block.set(row + 1, width - 1, side, tone);
        block.write(row + 1, 2, line, *line_tone);
    }
    block
}

/// Word-wraps `text` to lines of at most `width` columns; continuation
/// lines are indented by two spaces, and a word too long for a line is cut
/// with `…`.
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for word in text.split_whitespace() {
        if let Some(line) = &current
            && width(line) + 1 + width(word) > columns
        {
            lines.extend(current.take());
        }
        match &mut current {
            Some(line) => {
                line.push(' ');
                line.push_str(word);
            }
            None => {
                let indent = if lines.is_empty() { 0 } else { 2 };
                current = Some(format!(
                    "{}{}",
                    " ".repeat(indent),
                    truncate(word, columns - indent)
                ));
            }
        }
    }
    lines.extend(current);
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// `text` cut to at most `columns` columns, ending in `…` when cut.
fn truncate(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let room = columns.saturating_sub(1);
    let mut cut = String::new();
    for ch in text.chars() {
        cut.push(ch);
        if width(&cut) > room {
            cut.pop();
            break;
        }
    }
    cut.push('…');
    cut
}
