import LanceArrow
import LanceCore

/// A parsed SQL expression in the filter dialect of Lance (DataFusion's SQL): literals, columns
/// (bare and case-sensitive, in backticks or double quotes, nested as `a.b`), comparison,
/// arithmetic, `AND`/`OR`/`NOT` with three-valued logic, `IS [NOT] NULL|TRUE|FALSE`, `[NOT] IN`,
/// `[NOT] BETWEEN`, `[NOT] LIKE|ILIKE … [ESCAPE]`, `CAST`/`::`, `CASE`, and common functions.
///
/// Parsing does not need a schema; bind it with ``BoundExpr`` to type check and evaluate it.
/// Errors are `LanceError(.invalidInput)` whose message names the 1-based character position
/// (also in `LanceError.position`) and what was expected there.
public struct SQLExpr: Sendable, CustomStringConvertible {
    /// The text the expression was parsed from.
    public let text: String
    let root: Node

    /// Parses `text`; throws `LanceError(.invalidInput)` with the position of the first error.
    public static func parse(_ text: String) throws -> SQLExpr {
        var p = try Parser(text)
        return SQLExpr(text: text, root: try p.parseTop())
    }

    /// Top-level column names the expression reads (the first component of `a.b`), in first-use order.
    public var referencedColumns: [String] {
        var out: [String] = []
        root.collectColumns(into: &out)
        return out
    }

    public var description: String { text }
}

/// An expression bound to a schema: type checked, ready to evaluate over record batches.
public struct BoundExpr: Sendable {
    /// The parsed expression.
    public let expr: SQLExpr
    /// The type of `evaluate`'s result.
    public let resultType: DataType
    let plan: Plan

    /// Binds `expr` to `schema` as a filter: the result must be boolean; literals compared with a
    /// column take the column's type (as Lance does), so `width > 'abc'` is an error.
    public init(filter expr: SQLExpr, schema: Schema) throws {
        let plan = try Binder(schema: schema).bind(expr.root, lanceCoercion: true)
        let p = Binder(schema: schema).filterBool(plan)
        guard p.type == .bool else {
            throw LanceError(.invalidInput, "a filter must be a boolean expression, but `\(expr.text)` has type \(p.type)",
                             position: 1)
        }
        self.expr = expr
        self.plan = p
        self.resultType = .bool
    }

    /// Binds `expr` to `schema` as a value expression (any result type, e.g. for new columns).
    public init(_ expr: SQLExpr, schema: Schema) throws {
        let plan = try Binder(schema: schema).bind(expr.root, lanceCoercion: true)
        self.expr = expr
        self.plan = plan
        self.resultType = plan.type
    }

    /// Parses and binds a filter.
    public init(filter text: String, schema: Schema) throws {
        try self.init(filter: try SQLExpr.parse(text), schema: schema)
    }

    /// Parses and binds a value expression.
    public init(_ text: String, schema: Schema) throws {
        try self.init(try SQLExpr.parse(text), schema: schema)
    }

    /// Top-level columns the expression reads, as the schema spells them (a bare name may match a
    /// column ignoring case); a batch passed to `evaluate` must contain them.
    public var referencedColumns: [String] {
        var out: [String] = []
        plan.collectColumns(into: &out)
        return out
    }

    /// Evaluates the expression over every row of `batch` (which must hold the referenced
    /// columns, by name), column at a time. The result has `batch.count` rows of `resultType`.
    public func evaluate(_ batch: RecordBatch) throws -> ArrayData {
        var c = try Eval(batch: batch, n: batch.count).run(plan)
        c.count = batch.count
        if c.type != resultType { c = try Eval.cast(c, to: resultType, pos: 1) }
        return try c.toArrayData()
    }

    /// One flag per row: true where the predicate is TRUE (NULL and FALSE are both false).
    public func mask(_ batch: RecordBatch) throws -> [Bool] {
        let c = try Eval(batch: batch, n: batch.count).run(plan)
        let n = batch.count
        var v = K.bools(c, n)
        if let valid = K.validity(c, n) {
            for i in 0 ..< n where !valid[i] { v[i] = false }
        }
        return v
    }

    /// The indices of the rows where the predicate is TRUE, ascending.
    public func selection(_ batch: RecordBatch) throws -> [Int] {
        let c = try Eval(batch: batch, n: batch.count).run(plan)
        let n = batch.count
        guard case .bool(let v) = c.storage else { return [] }
        if c.scalar { return (c.isValid(0) && v[0]) ? Array(0 ..< n) : [] }
        var out: [Int] = []
        out.reserveCapacity(n)
        v.withUnsafeBufferPointer { vp in
            if let valid = c.valid {
                valid.withUnsafeBufferPointer { ok in
                    for i in 0 ..< n where vp[i] && ok[i] { out.append(i) }
                }
            } else {
                for i in 0 ..< n where vp[i] { out.append(i) }
            }
        }
        return out
    }

    /// The number of rows where the predicate is TRUE.
    public func matchCount(_ batch: RecordBatch) throws -> Int {
        let c = try Eval(batch: batch, n: batch.count).run(plan)
        let n = batch.count
        guard case .bool(let v) = c.storage else { return 0 }
        if c.scalar { return (c.isValid(0) && v[0]) ? n : 0 }
        var total = 0
        v.withUnsafeBufferPointer { vp in
            if let valid = c.valid {
                valid.withUnsafeBufferPointer { ok in
                    for i in 0 ..< n where vp[i] && ok[i] { total += 1 }
                }
            } else {
                for i in 0 ..< n where vp[i] { total += 1 }
            }
        }
        return total
    }
}
