//! The words the parser treats specially, looked up once per token by the lexer.

macro_rules! keywords {
    ($($kw:ident),* $(,)?) => {
        /// A word the parser gives meaning to; `None` for every other word.
        #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) enum Kw { None, $($kw),* }

        /// Sorted by spelling so lookups can bisect.
        static TABLE: &[(&str, Kw)] = &[$((stringify!($kw), Kw::$kw)),*];
    };
}

// Keep this list sorted: `lookup` bisects it (a test checks the order).
keywords!(
    ALL,
    ALTER,
    AND,
    ANTI,
    ANY,
    APPLY,
    ARRAY,
    AS,
    ASC,
    ASOF,
    AT,
    BEFORE,
    BEGIN,
    BETWEEN,
    BY,
    CALL,
    CASE,
    CAST,
    CHANGES,
    CLONE,
    COLLATE,
    COMMIT,
    CONFLICT,
    CONNECT,
    COPY,
    CREATE,
    CROSS,
    CUBE,
    CURRENT,
    CURRENT_DATE,
    CURRENT_TIME,
    CURRENT_TIMESTAMP,
    DATABASE,
    DECLARE,
    DEFAULT,
    DELETE,
    DESC,
    DESCRIBE,
    DISTINCT,
    DO,
    DROP,
    ELSE,
    END,
    ESCAPE,
    EXCEPT,
    EXCLUDE,
    EXECUTE,
    EXISTS,
    EXPLAIN,
    EXTERNAL,
    EXTRACT,
    FALSE,
    FETCH,
    FILTER,
    FINAL,
    FIRST,
    FOLLOWING,
    FOR,
    FROM,
    FULL,
    GLOB,
    GLOBAL,
    GRANT,
    GROUP,
    GROUPING,
    GROUPS,
    HAVING,
    IDENTIFIER,
    IF,
    IGNORE,
    ILIKE,
    IN,
    INNER,
    INSERT,
    INTERSECT,
    INTERVAL,
    INTO,
    IS,
    ISNULL,
    JOIN,
    LAST,
    LATERAL,
    LEFT,
    LIKE,
    LIMIT,
    LOCAL,
    LOCALTIME,
    LOCALTIMESTAMP,
    MATCHED,
    MATCH_RECOGNIZE,
    MATERIALIZED,
    MERGE,
    MINUS,
    NATURAL,
    NOT,
    NOTHING,
    NOTNULL,
    NULL,
    NULLS,
    OF,
    OFFSET,
    ON,
    ONLY,
    OR,
    ORDER,
    ORDINALITY,
    OUTER,
    OVER,
    OVERWRITE,
    PARTITION,
    PIVOT,
    POSITIONAL,
    PRECEDING,
    QUALIFY,
    RANGE,
    RECURSIVE,
    REGEXP,
    RENAME,
    REPLACE,
    RESPECT,
    RETURNING,
    RIGHT,
    RLIKE,
    ROLLBACK,
    ROLLUP,
    ROW,
    ROWS,
    SAFE_CAST,
    SAMPLE,
    SCHEMA,
    SECURE,
    SELECT,
    SEMI,
    SET,
    SETS,
    SHOW,
    SIMILAR,
    SOME,
    START,
    STRUCT,
    TABLE,
    TABLESAMPLE,
    TEMP,
    TEMPORARY,
    THEN,
    TO,
    TOP,
    TRANSIENT,
    TRUE,
    TRUNCATE,
    TRY_CAST,
    UNBOUNDED,
    UNION,
    UNKNOWN,
    UNLOGGED,
    UNNEST,
    UNPIVOT,
    UPDATE,
    USE,
    USING,
    VALUE,
    VALUES,
    VIEW,
    VOLATILE,
    WHEN,
    WHERE,
    WINDOW,
    WITH,
    WITHIN,
    ZONE,
);

/// The keyword spelled by `word`, in any case.
pub(crate) fn lookup(word: &str) -> Kw {
    const LONGEST: usize = 24;
    let bytes = word.as_bytes();
    if bytes.len() > LONGEST || bytes.len() < 2 {
        return Kw::None;
    }
    let mut upper = [0u8; LONGEST];
    for (slot, b) in upper.iter_mut().zip(bytes) {
        *slot = b.to_ascii_uppercase();
    }
    let upper = &upper[..bytes.len()];
    TABLE
        .binary_search_by(|(name, _)| name.as_bytes().cmp(upper))
        .map_or(Kw::None, |i| TABLE[i].1)
}

impl Kw {
    /// Words that end an expression or a table reference, so they are never read as an alias
    /// written without `AS`.
    pub(crate) fn ends_alias(self) -> bool {
        use Kw::*;
        matches!(
            self,
            AND | ANTI
                | APPLY
                | AS
                | ASOF
                | AT
                | BEFORE
                | BETWEEN
                | CHANGES
                | COLLATE
                | CONNECT
                | CROSS
                | DO
                | ELSE
                | END
                | ESCAPE
                | EXCEPT
                | FETCH
                | FILTER
                | FOR
                | FROM
                | FULL
                | GLOB
                | GROUP
                | HAVING
                | ILIKE
                | IN
                | INNER
                | INTERSECT
                | INTO
                | IS
                | ISNULL
                | JOIN
                | LATERAL
                | LEFT
                | LIKE
                | LIMIT
                | MATCH_RECOGNIZE
                | MINUS
                | NATURAL
                | NOT
                | NOTNULL
                | OFFSET
                | ON
                | OR
                | ORDER
                | OVER
                | PIVOT
                | POSITIONAL
                | QUALIFY
                | REGEXP
                | RETURNING
                | RIGHT
                | RLIKE
                | SAMPLE
                | SELECT
                | SEMI
                | SET
                | SIMILAR
                | START
                | TABLESAMPLE
                | THEN
                | UNION
                | UNPIVOT
                | USING
                | VALUES
                | WHEN
                | WHERE
                | WINDOW
                | WITH
                | WITHIN
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_bisection() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup("select"), Kw::SELECT);
        assert_eq!(lookup("Current_Date"), Kw::CURRENT_DATE);
        assert_eq!(lookup("orders"), Kw::None);
        assert_eq!(lookup("x"), Kw::None);
    }
}
