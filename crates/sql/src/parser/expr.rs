//! Expressions: which columns and subqueries they mention.
//!
//! Operator precedence does not change which columns an expression reads, so an expression
//! is parsed as operands joined by operators, with the special forms (CASE, CAST, EXTRACT,
//! INTERVAL, windows, lambdas…) recognised so that their keywords, types and date parts are
//! never mistaken for columns.

use super::{PResult, Parser};
use crate::ast::{Expr, Ident, Name};
use crate::keywords::Kw;
use crate::lexer::Kind;

/// What the last operand was, to name select-list outputs (`SELECT t.amount` → `amount`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Operand {
    /// A bare column reference, possibly cast.
    Column,
    Other,
}

/// After an operator: whether another operand must follow.
enum Follow {
    Operand,
    Done,
}

impl<'a> Parser<'a> {
    /// Parses one expression into `out`; returns whether it was a bare column.
    pub(super) fn expr(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.nested(|p| p.expr_inner(out))
    }

    fn expr_inner(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        let mut shape = self.operand(out)?;
        loop {
            match self.binary_operator(out)? {
                Some(Follow::Operand) => {
                    self.operand(out)?;
                }
                Some(Follow::Done) => {}
                None => return Ok(shape),
            }
            shape = Operand::Other;
        }
    }

    /// Comma-separated expressions up to (not including) a closing token.
    pub(super) fn expr_list(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        loop {
            self.expr(out)?;
            if !self.eat(Kind::Comma) {
                return Ok(());
            }
        }
    }

    /// Consumes an operator after an operand, if there is one.
    fn binary_operator(&mut self, out: &mut Expr<'a>) -> PResult<Option<Follow>> {
        let token = self.peek();
        match token.kind {
            Kind::Op | Kind::Eq | Kind::Star => {
                self.pos += 1;
                return Ok(Some(Follow::Operand));
            }
            Kind::Word => {}
            _ => return Ok(None),
        }
        let follow = match token.kw {
            Kw::AND | Kw::OR | Kw::LIKE | Kw::ILIKE | Kw::RLIKE | Kw::REGEXP | Kw::GLOB => {
                self.pos += 1;
                Follow::Operand
            }
            Kw::ESCAPE | Kw::BETWEEN => {
                self.pos += 1;
                self.eat_word("SYMMETRIC");
                Follow::Operand
            }
            Kw::SIMILAR if self.kw_at(1) == Kw::TO => {
                self.pos += 2;
                Follow::Operand
            }
            Kw::NOT if self.negatable(self.kw_at(1)) => {
                self.pos += 1;
                return self.binary_operator(out);
            }
            Kw::IN => {
                self.pos += 1;
                self.in_list(out)?;
                Follow::Done
            }
            Kw::IS => self.is_test()?,
            Kw::ISNULL | Kw::NOTNULL => {
                self.pos += 1;
                Follow::Done
            }
            Kw::COLLATE => {
                self.pos += 1;
                self.object_name()?;
                Follow::Done
            }
            Kw::AT if self.text(self.peek_at(1)).eq_ignore_ascii_case("TIME") => {
                self.pos += 2;
                self.expect_kw(Kw::ZONE, "ZONE after AT TIME")?;
                Follow::Operand
            }
            _ if self.at_word("OVERLAPS") || self.at_word("DIV") || self.at_word("MOD") => {
                self.pos += 1;
                Follow::Operand
            }
            _ => return Ok(None),
        };
        Ok(Some(follow))
    }

    fn negatable(&self, next: Kw) -> bool {
        matches!(
            next,
            Kw::IN
                | Kw::LIKE
                | Kw::ILIKE
                | Kw::BETWEEN
                | Kw::SIMILAR
                | Kw::RLIKE
                | Kw::REGEXP
                | Kw::GLOB
        )
    }

    /// `IN (list)`, `IN (subquery)`, BigQuery's `IN UNNEST(array)`.
    fn in_list(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        if !self.at(Kind::LParen) {
            self.operand(out)?;
            return Ok(());
        }
        self.pos += 1;
        if self.query_starts_here() {
            let query = self.query()?;
            out.subqueries.push(query);
        } else if !self.at(Kind::RParen) {
            self.expr_list(out)?;
        }
        self.expect(Kind::RParen, "`)` closing IN (")
    }

    /// `IS [NOT] NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM x`.
    fn is_test(&mut self) -> PResult<Follow> {
        self.pos += 1;
        self.eat_kw(Kw::NOT);
        match self.peek().kw {
            Kw::NULL | Kw::TRUE | Kw::FALSE | Kw::UNKNOWN => {
                self.pos += 1;
                Ok(Follow::Done)
            }
            Kw::DISTINCT => {
                self.pos += 1;
                self.expect_kw(Kw::FROM, "FROM after IS DISTINCT")?;
                Ok(Follow::Operand)
            }
            _ => Ok(Follow::Operand),
        }
    }

    /// One operand with its prefix and postfix operators.
    pub(super) fn operand(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.nested(|p| {
            let shape = p.primary(out)?;
            p.postfix(out, shape)
        })
    }

    fn primary(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        let token = self.peek();
        match token.kind {
            Kind::Number | Kind::Str | Kind::Param | Kind::Star => {
                self.pos += 1;
                Ok(Operand::Other)
            }
            Kind::Op => {
                // Prefix operators (`-x`, `NOT`-like `!`), and `?` placeholders.
                self.pos += 1;
                if self.text(token) == "?" {
                    return Ok(Operand::Other);
                }
                self.operand(out).map(|_| Operand::Other)
            }
            Kind::Colon if matches!(self.peek_at(1).kind, Kind::Word | Kind::Number) => {
                self.pos += 2;
                Ok(Operand::Other)
            }
            Kind::LParen => self.parenthesized(out),
            Kind::LBracket => self.bracketed(out, Kind::RBracket),
            Kind::LBrace => self.bracketed(out, Kind::RBrace),
            // Snowflake's hierarchical operators, `CONNECT_BY_ROOT name` and `PRIOR id`.
            Kind::Word
                if (self.at_word("CONNECT_BY_ROOT") || self.at_word("PRIOR"))
                    && matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) =>
            {
                self.pos += 1;
                self.operand(out).map(|_| Operand::Other)
            }
            Kind::Word | Kind::Quoted => self.word_operand(out),
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// `(subquery)`, `(expr)` or a tuple `(a, b)`; `((select 1), 2)` is a tuple holding a
    /// subquery, so only a query keyword right after `(` makes a subquery.
    fn parenthesized(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.pos += 1;
        if self.query_starts_here() {
            let query = self.query()?;
            out.subqueries.push(query);
        } else if !self.at(Kind::RParen) {
            self.expr_list(out)?;
        }
        self.expect(Kind::RParen, "`)`")?;
        Ok(Operand::Other)
    }

    /// `[a, b]` array literals and `{'k': v}` struct/object literals.
    fn bracketed(&mut self, out: &mut Expr<'a>, close: Kind) -> PResult<Operand> {
        self.pos += 1;
        while !self.eat(close) {
            self.expr(out)?;
            if !(self.eat(Kind::Comma) || self.eat(Kind::Colon)) {
                self.expect(close, "a closing bracket")?;
                break;
            }
        }
        Ok(Operand::Other)
    }

    fn word_operand(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        let token = self.peek();
        let next = self.peek_at(1);
        if token.kind == Kind::Word {
            // A word directly before a string is a typed literal: DATE '2024-01-01'.
            if next.kind == Kind::Str && token.kw != Kw::INTERVAL {
                self.pos += 2;
                return Ok(Operand::Other);
            }
            if let Some(shape) = self.keyword_operand(out)? {
                return Ok(shape);
            }
        }
        let name = self.dotted_name()?;
        if self.at(Kind::LParen) {
            self.function_call(out, &name)?;
            return Ok(Operand::Other);
        }
        if self.dialect_has_lambdas() && self.at_arrow_op() {
            // A lambda's parameter is not a column; its body is handled by the caller.
            return Ok(Operand::Other);
        }
        out.columns.push(name);
        Ok(Operand::Column)
    }

    fn query_starts_here(&self) -> bool {
        matches!(self.peek().kw, Kw::SELECT | Kw::WITH | Kw::VALUES)
    }

    fn dialect_has_lambdas(&self) -> bool {
        use crate::dialect::Dialect;
        matches!(self.dialect, Dialect::Databricks | Dialect::Snowflake)
    }

    /// `payload:customer.id` reads a path inside a semi-structured column.
    fn dialect_has_paths(&self) -> bool {
        self.dialect_has_lambdas()
    }

    fn at_arrow_op(&self) -> bool {
        self.at(Kind::Op) && self.text(self.peek()) == "->"
    }

    /// Keywords that start an operand; `None` if this word is an ordinary name.
    fn keyword_operand(&mut self, out: &mut Expr<'a>) -> PResult<Option<Operand>> {
        let kw = self.peek().kw;
        let call = self.peek_at(1).kind == Kind::LParen;
        let shape = match kw {
            Kw::CASE => self.case(out)?,
            Kw::CAST | Kw::TRY_CAST | Kw::SAFE_CAST if call => self.cast(out)?,
            Kw::EXISTS if call => {
                self.pos += 1;
                self.parenthesized(out)?
            }
            Kw::NOT => {
                self.pos += 1;
                self.operand(out)?;
                Operand::Other
            }
            Kw::INTERVAL if self.interval_follows() => self.interval(out)?,
            Kw::NULL | Kw::TRUE | Kw::FALSE | Kw::DEFAULT => {
                self.pos += 1;
                Operand::Other
            }
            Kw::CURRENT_DATE
            | Kw::CURRENT_TIME
            | Kw::CURRENT_TIMESTAMP
            | Kw::LOCALTIME
            | Kw::LOCALTIMESTAMP
                if !call =>
            {
                self.pos += 1;
                Operand::Other
            }
            Kw::ARRAY | Kw::STRUCT if !call && self.peek_at(1).kind != Kind::Dot => {
                self.typed_constructor(out)?
            }
            // A keyword the dialect does not reserve is a name here (`start`, `end`, `value`).
            _ if kw != Kw::None && !call && self.dialect.reserved(self.text(self.peek())) => {
                return Err(self.unexpected("an expression"));
            }
            _ => return Ok(None),
        };
        Ok(Some(shape))
    }

    /// `ARRAY[…]`, `ARRAY<INT64>[…]`, `STRUCT<a INT64>(…)`.
    fn typed_constructor(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.pos += 1;
        if self.at(Kind::Op) && self.text(self.peek()).starts_with('<') {
            self.skip_angle_brackets();
        }
        match self.peek().kind {
            Kind::LBracket => self.bracketed(out, Kind::RBracket),
            Kind::LParen => {
                self.pos += 1;
                self.function_args(out, "")?;
                Ok(Operand::Other)
            }
            _ => Ok(Operand::Other),
        }
    }

    /// `a.b.c`, stopping before `.*`.
    pub(super) fn dotted_name(&mut self) -> PResult<Name<'a>> {
        let mut name = Vec::with_capacity(2);
        name.push(self.ident()?);
        while self.at(Kind::Dot) && matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) {
            self.pos += 1;
            name.push(self.ident()?);
        }
        Ok(name)
    }

    fn case(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.pos += 1;
        if !self.at_kw(Kw::WHEN) {
            self.expr(out)?;
        }
        loop {
            match self.peek().kw {
                Kw::WHEN | Kw::THEN | Kw::ELSE => {
                    self.pos += 1;
                    self.expr(out)?;
                }
                Kw::END => {
                    self.pos += 1;
                    return Ok(Operand::Other);
                }
                _ => return Err(self.unexpected("WHEN, THEN, ELSE or END")),
            }
        }
    }

    /// `CAST(x AS type)`: the cast of a bare column still names that column.
    fn cast(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.pos += 2;
        let shape = self.expr(out)?;
        self.expect_kw(Kw::AS, "AS in CAST")?;
        self.data_type()?;
        if self.eat_word("FORMAT") {
            self.expr(out)?;
        }
        self.expect(Kind::RParen, "`)` closing CAST")?;
        Ok(shape)
    }

    /// Whether `INTERVAL` at the cursor starts an interval value rather than naming a column
    /// (it is not reserved in Snowflake, PostgreSQL or Databricks): a value must follow.
    fn interval_follows(&self) -> bool {
        if self.dialect.reserved("INTERVAL") {
            return true;
        }
        let next = self.peek_at(1);
        match next.kind {
            Kind::Str | Kind::Number | Kind::LParen | Kind::Param => true,
            Kind::Op => self.text(next) == "-" || self.text(next) == "+",
            Kind::Word | Kind::Quoted => {
                !self.dialect.reserved(self.text(next)) && !next.kw.ends_alias()
            }
            _ => false,
        }
    }

    /// `INTERVAL '1 day'`, `INTERVAL 3 DAY`, `INTERVAL '1' DAY TO SECOND`.
    fn interval(&mut self, out: &mut Expr<'a>) -> PResult<Operand> {
        self.pos += 1;
        self.operand(out)?;
        if self.at(Kind::Word) && is_date_part(self.text(self.peek())) {
            self.pos += 1;
            if self.eat_kw(Kw::TO) {
                self.advance();
            }
        }
        Ok(Operand::Other)
    }

    /// `::type`, `[i]`, `:path`, `.field` after a call, and window/filter clauses.
    fn postfix(&mut self, out: &mut Expr<'a>, mut shape: Operand) -> PResult<Operand> {
        loop {
            match self.peek().kind {
                Kind::DoubleColon => {
                    self.pos += 1;
                    self.data_type()?;
                }
                Kind::LBracket => {
                    self.pos += 1;
                    shape = Operand::Other;
                    self.subscript(out)?;
                }
                Kind::Colon
                    if self.dialect_has_paths()
                        && matches!(self.peek_at(1).kind, Kind::Word | Kind::Quoted) =>
                {
                    // Snowflake / Databricks semi-structured access: `payload:customer.id`.
                    self.pos += 2;
                    shape = Operand::Other;
                    while self.at(Kind::Dot) && self.peek_at(1).kind != Kind::Star {
                        self.pos += 2;
                    }
                }
                Kind::Dot
                    if matches!(
                        self.peek_at(1).kind,
                        Kind::Word | Kind::Quoted | Kind::Param
                    ) =>
                {
                    self.pos += 2;
                    shape = Operand::Other;
                }
                _ => return Ok(shape),
            }
        }
    }

    fn subscript(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        if !self.at(Kind::Colon) {
            self.expr(out)?;
        }
        if self.eat(Kind::Colon) && !self.at(Kind::RBracket) {
            self.expr(out)?;
        }
        self.expect(Kind::RBracket, "`]`")
    }

    /// A type name: `int`, `varchar(10)`, `double precision`, `timestamp with time zone`,
    /// `ARRAY<STRUCT<a INT64>>`, `numeric(10, 2)[]`.
    pub(super) fn data_type(&mut self) -> PResult<()> {
        let name = self.ident()?;
        // Only these take `<…>` parameters (BigQuery, Databricks): after any other type a `<`
        // is a comparison, as in `x::int < 5`.
        let parameterised = ["ARRAY", "STRUCT", "MAP"]
            .iter()
            .any(|t| name.text.eq_ignore_ascii_case(t));
        while self.at(Kind::Dot) && self.peek_at(1).kind == Kind::Word {
            self.pos += 2;
        }
        while [
            "PRECISION",
            "VARYING",
            "WITH",
            "WITHOUT",
            "TIME",
            "ZONE",
            "LOCAL",
            "UNSIGNED",
        ]
        .iter()
        .any(|w| self.at_word(w))
        {
            self.pos += 1;
        }
        if self.at(Kind::LParen) {
            self.skip_group()?;
        }
        if parameterised && self.at(Kind::Op) && self.text(self.peek()).starts_with('<') {
            self.skip_angle_brackets();
        }
        while self.at(Kind::LBracket) {
            self.skip_group()?;
        }
        Ok(())
    }

    /// Skips `< … >` of a parameterised type, counting nested angle brackets.
    fn skip_angle_brackets(&mut self) {
        let mut depth = 0i32;
        loop {
            let token = self.peek();
            if token.kind == Kind::Eof || token.kind == Kind::Semicolon {
                return;
            }
            if token.kind == Kind::Op {
                let text = self.text(token);
                depth += text.matches('<').count() as i32;
                depth -= text.matches('>').count() as i32;
            }
            self.pos += 1;
            if depth <= 0 {
                return;
            }
        }
    }

    // --- function calls ---------------------------------------------------------------

    fn function_call(&mut self, out: &mut Expr<'a>, name: &Name<'a>) -> PResult<()> {
        self.pos += 1;
        let function = name.last().map_or("", |i| i.text.as_ref());
        self.function_args(out, function)?;
        self.after_call(out)
    }

    /// Arguments after `(`, through the closing `)`.
    pub(super) fn function_args(&mut self, out: &mut Expr<'a>, function: &str) -> PResult<()> {
        let dates = takes_date_parts(function);
        let trim = function.eq_ignore_ascii_case("TRIM");
        let _ = self.eat_kw(Kw::DISTINCT) || self.eat_kw(Kw::ALL);
        while !self.eat(Kind::RParen) {
            if self.at(Kind::Eof) || self.at(Kind::Semicolon) {
                return Err(self.unexpected("`)` closing the function call"));
            }
            self.function_arg(out, dates, trim)?;
        }
        Ok(())
    }

    fn function_arg(&mut self, out: &mut Expr<'a>, dates: bool, trim: bool) -> PResult<()> {
        let token = self.peek();
        let next = self.peek_at(1).kind;
        if token.kind == Kind::Word {
            let word = self.text(token);
            let separated = matches!(next, Kind::Comma | Kind::RParen) || self.kw_at(1) == Kw::FROM;
            if dates && separated && is_date_part(word) {
                self.pos += 1;
                return self.arg_separator(out);
            }
            if dates && next == Kind::LParen && is_week(word) {
                self.pos += 1;
                self.skip_group()?;
                return self.arg_separator(out);
            }
            if trim
                && ["BOTH", "LEADING", "TRAILING"]
                    .iter()
                    .any(|w| self.at_word(w))
            {
                self.pos += 1;
                if self.eat_kw(Kw::FROM) {
                    return self.function_arg(out, dates, trim);
                }
                return self.function_arg(out, dates, false);
            }
            if next == Kind::Arrow {
                self.pos += 2;
            }
        }
        if self.lambda_follows() {
            return self.lambda(out);
        }
        if matches!(token.kw, Kw::SELECT | Kw::WITH) {
            let query = self.query()?;
            out.subqueries.push(query);
            return self.arg_separator(out);
        }
        self.expr(out)?;
        self.arg_separator(out)
    }

    /// What may follow an argument: `,`, `AS type`, `FROM`/`FOR`/`IN` (SUBSTRING, TRIM,
    /// POSITION, EXTRACT), `ORDER BY`, `LIMIT`, `IGNORE NULLS`, `SEPARATOR`.
    fn arg_separator(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        let token = self.peek();
        match token.kw {
            _ if token.kind == Kind::Comma => {
                self.pos += 1;
            }
            _ if token.kind == Kind::RParen => {}
            Kw::AS => {
                self.pos += 1;
                if self.at_ident() {
                    self.data_type()?;
                }
            }
            Kw::FROM | Kw::FOR | Kw::IN | Kw::USING => {
                self.pos += 1;
            }
            Kw::ORDER => {
                self.pos += 1;
                self.expect_kw(Kw::BY, "BY after ORDER")?;
                self.sort_list(out)?;
            }
            Kw::LIMIT => {
                self.pos += 1;
                self.expr(out)?;
            }
            Kw::IGNORE | Kw::RESPECT => {
                self.pos += 1;
                self.expect_kw(Kw::NULLS, "NULLS")?;
            }
            Kw::HAVING => {
                // BigQuery's ANY_VALUE(x HAVING MAX y).
                self.pos += 2;
            }
            _ if self.eat_word("SEPARATOR") => {}
            _ => return Err(self.unexpected("`,` or `)` in the argument list")),
        }
        Ok(())
    }

    /// `x -> body` or `(x, y) -> body`, in dialects where `->` only means a lambda.
    fn lambda_follows(&self) -> bool {
        if !self.dialect_has_lambdas() {
            return false;
        }
        let arrow = |t: crate::lexer::Token| t.kind == Kind::Op && self.text(t) == "->";
        if self.at(Kind::Word) {
            return arrow(self.peek_at(1));
        }
        if self.at(Kind::LParen) {
            let mut ahead = 1;
            while matches!(self.peek_at(ahead).kind, Kind::Word | Kind::Comma) {
                ahead += 1;
            }
            return self.peek_at(ahead).kind == Kind::RParen && arrow(self.peek_at(ahead + 1));
        }
        false
    }

    fn lambda(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        let mut params: Vec<Ident<'a>> = Vec::new();
        if self.eat(Kind::LParen) {
            while !self.eat(Kind::RParen) {
                params.push(self.ident()?);
                self.eat(Kind::Comma);
            }
        } else {
            params.push(self.ident()?);
        }
        self.pos += 1;
        let mut body = Expr::default();
        self.expr(&mut body)?;
        body.columns.retain(|name| {
            !params
                .iter()
                .any(|p| p.text.eq_ignore_ascii_case(&name[0].text))
        });
        out.columns.append(&mut body.columns);
        out.subqueries.append(&mut body.subqueries);
        self.arg_separator(out)
    }

    /// `WITHIN GROUP (…)`, `FILTER (WHERE …)`, `IGNORE NULLS`, `OVER …`.
    fn after_call(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        loop {
            match self.peek().kw {
                Kw::WITHIN if self.kw_at(1) == Kw::GROUP => {
                    self.pos += 2;
                    self.expect(Kind::LParen, "`(` after WITHIN GROUP")?;
                    self.expect_kw(Kw::ORDER, "ORDER BY")?;
                    self.expect_kw(Kw::BY, "BY")?;
                    self.sort_list(out)?;
                    self.expect(Kind::RParen, "`)`")?;
                }
                Kw::FILTER if self.peek_at(1).kind == Kind::LParen => {
                    self.pos += 2;
                    self.expect_kw(Kw::WHERE, "WHERE in FILTER (")?;
                    self.expr(out)?;
                    self.expect(Kind::RParen, "`)`")?;
                }
                Kw::IGNORE | Kw::RESPECT if self.kw_at(1) == Kw::NULLS => self.pos += 2,
                Kw::OVER => {
                    self.pos += 1;
                    self.window(out)?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// `OVER name` or `OVER ([name] PARTITION BY … ORDER BY … frame)`.
    pub(super) fn window(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        if !self.eat(Kind::LParen) {
            self.ident()?;
            return Ok(());
        }
        if self.at_ident() && self.peek().kw == Kw::None {
            self.pos += 1;
        }
        loop {
            match self.peek().kw {
                Kw::PARTITION => {
                    self.pos += 1;
                    self.expect_kw(Kw::BY, "BY after PARTITION")?;
                    self.expr_list(out)?;
                }
                Kw::ORDER => {
                    self.pos += 1;
                    self.expect_kw(Kw::BY, "BY after ORDER")?;
                    self.sort_list(out)?;
                }
                Kw::ROWS | Kw::RANGE | Kw::GROUPS => {
                    // Frame bounds hold only constants and keywords.
                    self.skip_to_close()?;
                }
                _ => return self.expect(Kind::RParen, "`)` closing the window"),
            }
        }
    }

    /// Skips to the `)` that closes the current group, leaving it unconsumed.
    pub(super) fn skip_to_close(&mut self) -> PResult<()> {
        while !self.at(Kind::RParen) {
            match self.peek().kind {
                Kind::Eof | Kind::Semicolon => return Err(self.unexpected("`)`")),
                Kind::LParen => self.skip_group()?,
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// `expr [ASC|DESC] [NULLS FIRST|LAST]`, …
    pub(super) fn sort_list(&mut self, out: &mut Expr<'a>) -> PResult<()> {
        loop {
            self.expr(out)?;
            self.eat_kw(Kw::ASC);
            self.eat_kw(Kw::DESC);
            if self.eat_kw(Kw::USING) {
                self.advance();
            }
            if self.eat_kw(Kw::NULLS) && !(self.eat_kw(Kw::FIRST) || self.eat_kw(Kw::LAST)) {
                return Err(self.unexpected("FIRST or LAST after NULLS"));
            }
            if !self.eat(Kind::Comma) {
                return Ok(());
            }
        }
    }
}

impl Operand {
    /// The output name of a select item that is this bare column.
    pub(super) fn column_name<'a>(self, expr: &Expr<'a>) -> Option<Ident<'a>> {
        match (self, expr.columns.as_slice()) {
            (Operand::Column, [name]) => name.last().cloned(),
            _ => None,
        }
    }
}

fn takes_date_parts(function: &str) -> bool {
    const FUNCTIONS: &[&str] = &[
        "EXTRACT",
        "DATE_PART",
        "DATEPART",
        "DATEADD",
        "DATE_ADD",
        "DATEDIFF",
        "DATE_DIFF",
        "DATE_SUB",
        "DATE_TRUNC",
        "DATETIME_ADD",
        "DATETIME_DIFF",
        "DATETIME_SUB",
        "DATETIME_TRUNC",
        "TIMESTAMP_ADD",
        "TIMESTAMP_DIFF",
        "TIMESTAMP_SUB",
        "TIMESTAMP_TRUNC",
        "TIMESTAMPADD",
        "TIMESTAMPDIFF",
        "TIME_ADD",
        "TIME_DIFF",
        "TIME_SUB",
        "TIME_TRUNC",
        "TIMEADD",
        "TIMEDIFF",
        "TIME_SLICE",
        "LAST_DAY",
        "WEEK",
    ];
    !function.is_empty() && FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(function))
}

fn is_week(word: &str) -> bool {
    word.eq_ignore_ascii_case("WEEK") || word.eq_ignore_ascii_case("ISOWEEK")
}

/// Date and time units as the warehouses spell them (full names, plurals and the common
/// Snowflake abbreviations), plus BigQuery's `WEEK(<weekday>)` days.
fn is_date_part(word: &str) -> bool {
    const PARTS: &[&str] = &[
        "CENTURY",
        "D",
        "DAY",
        "DAYOFMONTH",
        "DAYOFWEEK",
        "DAYOFWEEKISO",
        "DAYOFYEAR",
        "DAYS",
        "DD",
        "DECADE",
        "DOW",
        "DOY",
        "DW",
        "EPOCH",
        "EPOCH_MICROSECOND",
        "EPOCH_MILLISECOND",
        "EPOCH_NANOSECOND",
        "EPOCH_SECOND",
        "FRIDAY",
        "H",
        "HH",
        "HH24",
        "HOUR",
        "HOURS",
        "ISODOW",
        "ISOWEEK",
        "ISOYEAR",
        "M",
        "MI",
        "MICROSECOND",
        "MICROSECONDS",
        "MILLENNIUM",
        "MILLISECOND",
        "MILLISECONDS",
        "MIN",
        "MINUTE",
        "MINUTES",
        "MM",
        "MON",
        "MONDAY",
        "MONTH",
        "MONTHS",
        "MS",
        "NANOSECOND",
        "NANOSECONDS",
        "NS",
        "Q",
        "QTR",
        "QUARTER",
        "S",
        "SATURDAY",
        "SEC",
        "SECOND",
        "SECONDS",
        "SS",
        "SUNDAY",
        "THURSDAY",
        "TIMEZONE_HOUR",
        "TIMEZONE_MINUTE",
        "TUESDAY",
        "US",
        "W",
        "WEDNESDAY",
        "WEEK",
        "WEEKDAY",
        "WEEKISO",
        "WEEKOFYEAR",
        "WEEKS",
        "WK",
        "Y",
        "YEAR",
        "YEAROFWEEK",
        "YEAROFWEEKISO",
        "YEARS",
        "YY",
        "YYYY",
    ];
    word.len() <= 17
        && PARTS
            .binary_search_by(|p| p.bytes().cmp(word.bytes().map(|b| b.to_ascii_uppercase())))
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_parts_are_sorted_for_bisection() {
        assert!(is_date_part("month") && is_date_part("YYYY") && is_date_part("epoch_second"));
        assert!(!is_date_part("amount") && !is_date_part("date"));
    }
}
