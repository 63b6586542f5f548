//! Search over relation names, node names, columns and descriptions, in memory.
//!
//! A substring search cannot use an index, so in SQL it scans every relation and column on
//! every keystroke (5 ms at 20,000 tables). The index here holds each searchable field of a
//! kind of hit as one lowercase text, so a query is one `memmem` pass over a few megabytes
//! and ranking touches only what matched. It is built once per store version (see
//! [`Store::graph_version`]) by whoever holds it.

use super::text;
use crate::views::SearchHit;
use crate::{Store, StoreError};
use futures_util::TryStreamExt;
use memchr::memmem::Finder;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::cmp::Ordering;

/// The most characters of a description a hit carries.
const DESCRIPTION_CHARS: usize = 160;

/// Every searchable name and description, by kind of hit.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Relations dbt manages: relation name, node name, description.
    tables: Kind,
    /// Relations only the warehouse knows: name.
    warehouse: Kind,
    /// Columns of dbt nodes: column name, description.
    columns: Kind,
}

/// One kind of hit: the hits, and per field the lowercase values of all hits joined by `\n`.
#[derive(Debug, Default)]
struct Kind {
    hits: Vec<SearchHit>,
    /// What ranks hits of equal rank: the name people search for, and a tie-breaker.
    names: Vec<(String, String)>,
    fields: Vec<Field>,
    /// How many leading fields are names (a match there ranks above a description match).
    name_fields: usize,
}

/// The lowercase values of one field, joined; `starts[i]` is where hit `i`'s value begins.
#[derive(Debug, Default)]
struct Field {
    text: String,
    starts: Vec<usize>,
}

impl Field {
    fn push(&mut self, value: &str) {
        self.starts.push(self.text.len());
        // A newline inside a value would let a match span two hits.
        self.text
            .extend(value.chars().flat_map(char::to_lowercase).map(|c| match c {
                '\n' => ' ',
                c => c,
            }));
        self.text.push('\n');
    }

    /// The value of hit `i`.
    fn value(&self, i: usize) -> &str {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len()) - 1;
        &self.text[self.starts[i]..end]
    }

    /// The hits whose value contains the needle, in order, each once.
    fn matching(&self, finder: &Finder<'_>) -> Vec<usize> {
        let mut hits: Vec<usize> = Vec::new();
        for at in finder.find_iter(self.text.as_bytes()) {
            let hit = self.starts.partition_point(|&s| s <= at) - 1;
            if hits.last() != Some(&hit) {
                hits.push(hit);
            }
        }
        hits
    }
}

impl Kind {
    fn new(fields: usize, name_fields: usize) -> Self {
        Kind {
            fields: (0..fields).map(|_| Field::default()).collect(),
            name_fields,
            ..Kind::default()
        }
    }

    fn push(&mut self, hit: SearchHit, values: &[&str], names: (String, String)) {
        for (field, value) in self.fields.iter_mut().zip(values) {
            field.push(value);
        }
        self.hits.push(hit);
        self.names.push(names);
    }

    /// Up to `limit` hits containing `needle`: a name starting with it first, then a name
    /// containing it, then a description; within a rank the shorter name, then by name.
    fn search(&self, needle: &str, limit: usize) -> Vec<SearchHit> {
        let finder = Finder::new(needle.as_bytes());
        let mut found: Vec<usize> = self
            .fields
            .iter()
            .flat_map(|f| f.matching(&finder))
            .collect();
        found.sort_unstable();
        found.dedup();
        let mut ranked: Vec<(u8, usize)> = found
            .into_iter()
            .map(|i| (self.rank(i, needle), i))
            .collect();
        let order = |a: &(u8, usize), b: &(u8, usize)| self.order(a, b);
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit, order);
            ranked.truncate(limit);
        }
        ranked.sort_by(order);
        ranked
            .into_iter()
            .map(|(_, i)| self.hits[i].clone())
            .collect()
    }

    fn rank(&self, i: usize, needle: &str) -> u8 {
        let names = &self.fields[..self.name_fields];
        if names.iter().any(|f| f.value(i).starts_with(needle)) {
            0
        } else if names.iter().any(|f| f.value(i).contains(needle)) {
            1
        } else {
            2
        }
    }

    fn order(&self, (rank_a, a): &(u8, usize), (rank_b, b): &(u8, usize)) -> Ordering {
        let (name_a, tie_a) = &self.names[*a];
        let (name_b, tie_b) = &self.names[*b];
        (rank_a, name_a.chars().count(), name_a, tie_a).cmp(&(
            rank_b,
            name_b.chars().count(),
            name_b,
            tie_b,
        ))
    }
}

impl SearchIndex {
    /// Relations and columns whose name or description contains `query` (case-insensitive):
    /// dbt's relations, then relations only the warehouse knows, then columns, name matches
    /// first within each; at most `limit` in all.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let needle: String = query.trim().chars().flat_map(char::to_lowercase).collect();
        if needle.is_empty() || needle.contains('\n') {
            return Vec::new();
        }
        let mut hits = Vec::new();
        for kind in [&self.tables, &self.warehouse, &self.columns] {
            if hits.len() >= limit {
                break;
            }
            hits.extend(kind.search(&needle, limit - hits.len()));
        }
        hits
    }
}

impl Store {
    /// Everything [`SearchIndex::search`] looks through, read from the store in three
    /// streamed statements.
    pub async fn search_index(&self) -> Result<SearchIndex, StoreError> {
        let mut index = SearchIndex {
            tables: Kind::new(3, 2),
            warehouse: Kind::new(1, 1),
            columns: Kind::new(2, 1),
        };
        let mut rows = sqlx::query::<Any>(
            "SELECT connection, kind, name, description, rel_database, rel_schema, rel_name
               FROM dbt_nodes WHERE rel_name IS NOT NULL",
        )
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let (rel_name, name, description) = (
                text(&r, "rel_name")?,
                text(&r, "name")?,
                text(&r, "description")?,
            );
            let tie = text(&r, "kind")?;
            let values = [rel_name.as_str(), name.as_str(), description.as_str()];
            index
                .tables
                .push(hit(&r, "table", None)?, &values, (rel_name.clone(), tie));
        }
        drop(rows);
        let mut rows = sqlx::query::<Any>(
            "SELECT w.connection, w.kind, w.name, COALESCE(w.comment, '') AS description,
                    w.database_name AS rel_database, w.schema_name AS rel_schema, w.name AS rel_name
               FROM warehouse_relations w
              WHERE NOT EXISTS (SELECT 1 FROM dbt_nodes n WHERE n.connection = w.connection AND n.rel_key = w.rel_key)",
        )
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let name = text(&r, "name")?;
            let names = (name.clone(), String::new());
            index
                .warehouse
                .push(hit(&r, "table", None)?, &[name.as_str()], names);
        }
        drop(rows);
        let mut rows = sqlx::query::<Any>(
            "SELECT n.connection, n.kind, n.name, c.description, n.rel_database, n.rel_schema, n.rel_name,
                    c.name AS column_name
               FROM dbt_columns c JOIN dbt_nodes n ON n.connection = c.connection AND n.unique_id = c.unique_id
              WHERE n.rel_name IS NOT NULL",
        )
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let (column, description) = (text(&r, "column_name")?, text(&r, "description")?);
            let names = (column.clone(), text(&r, "rel_name")?);
            let values = [column.as_str(), description.as_str()];
            index
                .columns
                .push(hit(&r, "column", Some(column.clone()))?, &values, names);
        }
        Ok(index)
    }
}

fn hit(r: &AnyRow, kind: &str, column: Option<String>) -> Result<SearchHit, sqlx::Error> {
    let description: String = text(r, "description")?;
    Ok(SearchHit {
        connection: text(r, "connection")?,
        hit: kind.to_string(),
        database: text(r, "rel_database")?,
        schema: text(r, "rel_schema")?,
        table: text(r, "rel_name")?,
        column,
        node_kind: r.try_get::<String, _>("kind")?,
        node_name: text(r, "name")?,
        description: description.chars().take(DESCRIPTION_CHARS).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, description: &str) -> SearchHit {
        SearchHit {
            table: name.into(),
            node_name: name.into(),
            description: description.into(),
            hit: "table".into(),
            ..SearchHit::default()
        }
    }

    fn index(tables: &[(&str, &str)]) -> SearchIndex {
        let mut index = SearchIndex {
            tables: Kind::new(3, 2),
            warehouse: Kind::new(1, 1),
            columns: Kind::new(2, 1),
        };
        for (name, description) in tables {
            index.tables.push(
                table(name, description),
                &[name, name, description],
                (name.to_string(), "model".into()),
            );
        }
        index
    }

    fn names(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.table.as_str()).collect()
    }

    #[test]
    fn prefix_then_contains_then_description_shorter_first() {
        let index = index(&[
            ("dim_customers", ""),
            ("stg_orders", "orders from the CUSTOMER app"),
            ("customer_ltv", ""),
            ("customers", ""),
        ]);
        assert_eq!(
            names(&index.search("Customer", 10)),
            ["customers", "customer_ltv", "dim_customers", "stg_orders"]
        );
        assert_eq!(
            names(&index.search("customer", 2)),
            ["customers", "customer_ltv"]
        );
    }

    #[test]
    fn a_match_never_spans_two_entries_and_odd_input_finds_nothing() {
        let index = index(&[("ab", "line one\nline two"), ("cd", "")]);
        assert!(index.search("b\nc", 10).is_empty());
        assert!(index.search("bc", 10).is_empty());
        assert_eq!(
            names(&index.search("one line", 10)),
            ["ab"],
            "newlines read as spaces"
        );
        assert!(index.search("   ", 10).is_empty());
        assert!(index.search("100%_", 10).is_empty());
    }

    #[test]
    fn case_folds_beyond_ascii() {
        let index = index(&[("ÉTÉ_sales", "")]);
        assert_eq!(names(&index.search("été", 10)), ["ÉTÉ_sales"]);
    }
}
