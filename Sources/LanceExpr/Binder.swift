import LanceCore

/// Type checks a parsed expression against a schema, producing a ``Plan``.
///
/// Coercion follows the reference: where Lance's planner does it (the AND/OR spine of a filter,
/// BETWEEN bounds, IN lists of a column), a literal compared with a column takes the column's type
/// and must fit it exactly; elsewhere DataFusion's widening applies (ints widen, ints with floats
/// become floats, strings with temporal values are parsed).
struct Binder {
    let schema: Schema

    func bind(_ n: Node, lanceCoercion: Bool) throws -> Plan {
        switch n.kind {
        case .column(let path):
            return try column(path, at: n.pos)
        case .literal(let l):
            return .constant(literalCol(l))
        case .typedLiteral(let type, let text):
            return .constant(try castScalarString(text, to: type, at: n.pos))
        case .negate(let a):
            let p = try bind(a, lanceCoercion: false)
            guard p.type.isNumeric || p.type == .null else {
                throw exprError("cannot negate a value of type \(p.type) (expected a number)", at: n.pos)
            }
            if case .constant(let c) = p { return .constant(try Eval.negate(c, pos: n.pos)) }
            return .negate(p, pos: n.pos)
        case .not(let a):
            return .not(try boolOperand(try bind(a, lanceCoercion: false), "NOT", at: n.pos))
        case .binary(let op, let a, let b):
            if op == .and || op == .or {
                let l = try boolOperand(try bind(a, lanceCoercion: lanceCoercion), op.rawValue, at: n.pos)
                let r = try boolOperand(try bind(b, lanceCoercion: lanceCoercion), op.rawValue, at: n.pos)
                return op == .and ? .and(l, r) : .or(l, r)
            }
            var l = try bind(a, lanceCoercion: false)
            var r = try bind(b, lanceCoercion: false)
            if lanceCoercion {
                if l.isColumnRef {
                    if case .literal(let lit) = b.kind { r = try coerceLiteral(lit, to: l.type, column: a, at: b.pos) }
                    else if case .binary(let op2, _, _) = b.kind, op2 != .and && op2 != .or {
                        r = try bindCoerced(b, to: l.type, column: a)
                    }
                } else if r.isColumnRef, case .literal(let lit) = a.kind {
                    l = try coerceLiteral(lit, to: r.type, column: b, at: a.pos)
                }
            }
            return try binary(op, l, r, at: n.pos)
        case .isNull(let a, let negated):
            let p = try bind(a, lanceCoercion: false)
            return .isNull(filterBool(p), negated: negated)
        case .isBool(let a, let value, let negated):
            let p = try boolOperand(try bind(a, lanceCoercion: false), "IS \(negated ? "NOT " : "")\(value ? "TRUE" : "FALSE")", at: n.pos)
            return .isBool(p, value: value, negated: negated)
        case .inList(let a, let items, let negated):
            let e = try bind(a, lanceCoercion: false)
            var list: [Plan] = []
            for item in items {
                if lanceCoercion && e.isColumnRef, case .literal(let lit) = item.kind {
                    list.append(try coerceLiteral(lit, to: e.type, column: a, at: item.pos))
                } else {
                    list.append(try bind(item, lanceCoercion: false))
                }
            }
            var common = e.type
            for item in list { common = try commonType(common, item.type, forComparison: true, at: n.pos) }
            return .inList(try castPlan(e, to: common, at: a.pos), try list.map { try castPlan($0, to: common, at: n.pos) },
                           negated: negated)
        case .between(let a, let lo, let hi, let negated):
            let e = try bind(a, lanceCoercion: false)
            func bound(_ x: Node) throws -> Plan {
                if lanceCoercion && e.isColumnRef, case .literal(let lit) = x.kind {
                    return try coerceLiteral(lit, to: e.type, column: a, at: x.pos)
                }
                return try bind(x, lanceCoercion: false)
            }
            let l = try bound(lo), h = try bound(hi)
            if negated {
                return .or(try binary(.lt, e, l, at: n.pos), try binary(.gt, e, h, at: n.pos))
            }
            return .and(try binary(.ge, e, l, at: n.pos), try binary(.le, e, h, at: n.pos))
        case .like(let a, let pattern, let negated, let ci, let escape):
            let e = try bind(a, lanceCoercion: false)
            let p = try bind(pattern, lanceCoercion: false)
            for (x, what) in [(e, "LIKE operand"), (p, "LIKE pattern")] where !(x.type.isString || x.type == .null) {
                throw exprError("\(what) must be a string, found \(x.type)", at: n.pos)
            }
            return .like(e, p, negated: negated, caseInsensitive: ci, escape: escape)
        case .cast(let a, let type):
            let p = try bind(a, lanceCoercion: false)
            try checkCast(p.type, type, at: n.pos)
            return try castPlan(p, to: type, at: n.pos, explicit: true)
        case .caseWhen(let operand, let branches, let otherwise):
            var conds: [Plan] = []
            var values: [Plan] = []
            let op = try operand.map { try bind($0, lanceCoercion: false) }
            for (w, t) in branches {
                let wp = try bind(w, lanceCoercion: false)
                if let op {
                    conds.append(try binary(.eq, op, wp, at: w.pos))
                } else {
                    conds.append(try boolOperand(wp, "WHEN", at: w.pos))
                }
                values.append(try bind(t, lanceCoercion: false))
            }
            let e = try otherwise.map { try bind($0, lanceCoercion: false) }
            var type: DataType = .null
            for v in values + (e.map { [$0] } ?? []) { type = try commonType(type, v.type, forComparison: false, at: n.pos) }
            return .caseWhen(try zip(conds, values).map { ($0, try castPlan($1, to: type, at: n.pos)) },
                             try e.map { try castPlan($0, to: type, at: n.pos) }, type)
        case .function(let name, let args):
            return try function(name, args, at: n.pos)
        case .array(let items):
            let ps = try items.map { try bind($0, lanceCoercion: false) }
            var type: DataType = .null
            for p in ps { type = try commonType(type, p.type, forComparison: false, at: n.pos) }
            if type == .null { type = .int64 }
            return .makeArray(try ps.map { try castPlan($0, to: type, at: n.pos) }, .list(Field("item", type, nullable: true)))
        case .index(let a, let i):
            let l = try bind(a, lanceCoercion: false)
            let ip = try bind(i, lanceCoercion: false)
            guard case let item? = l.type.children.first, [.list(item), .largeList(item)].contains(l.type) || {
                if case .fixedSizeList = l.type { return true }; return false }() else {
                throw exprError("cannot index a value of type \(l.type) (expected a list)", at: n.pos)
            }
            guard ip.type.isInteger else { throw exprError("list index must be an integer, found \(ip.type)", at: i.pos) }
            return .index(l, try castPlan(ip, to: .int64, at: i.pos), item.type)
        }
    }

    /// Binds `n` with its literal leaves (through arithmetic/comparison operators) coerced to `type`.
    func bindCoerced(_ n: Node, to type: DataType, column: Node) throws -> Plan {
        switch n.kind {
        case .literal(let lit):
            return try coerceLiteral(lit, to: type, column: column, at: n.pos)
        case .binary(let op, let a, let b) where op != .and && op != .or:
            return try binary(op, try bindCoerced(a, to: type, column: column), try bindCoerced(b, to: type, column: column), at: n.pos)
        default:
            return try bind(n, lanceCoercion: false)
        }
    }

    // MARK: - Pieces

    func column(_ path: [String], at pos: Int) throws -> Plan {
        guard let field = schema.field(named: path[0]) else {
            var msg = "unknown column `\(path[0])`"
            if let s = suggestion(path[0], schema.names) { msg += "; did you mean `\(s)`?" }
            else { msg += " (columns: \(schema.names.map { "`\($0)`" }.joined(separator: ", ")))" }
            throw exprError(msg, at: pos)
        }
        var type = Col.logicalType(field.type)
        for name in path.dropFirst() {
            guard case .struct(let members) = type else {
                throw exprError("`\(path.joined(separator: "."))`: \(type) has no field `\(name)` (not a struct)", at: pos)
            }
            guard let m = members.first(where: { $0.name == name }) else {
                var msg = "unknown field `\(name)` in `\(path.joined(separator: "."))`"
                if let s = suggestion(name, members.map(\.name)) { msg += "; did you mean `\(s)`?" }
                throw exprError(msg, at: pos)
            }
            type = m.type
        }
        if Col.kind(of: type) == .unsupported {
            throw LanceError(.unsupported, "column `\(path.joined(separator: "."))` has type \(type), which filters do not support yet (at column \(pos))")
        }
        return .column(name: path[0], path: Array(path.dropFirst()), type: type)
    }

    func literalCol(_ l: Literal) -> Col {
        switch l {
        case .null: return .scalar(.null, count: 1, .null, valid: false)
        case .bool(let b): return .scalar(.bool, count: 1, .bool([b]))
        case .int(let v): return .scalar(.int64, count: 1, .int([v]))
        case .float(let v): return .scalar(.float64, count: 1, .float([v]))
        case .string(let s): return Col.strings([s], count: 1, scalar: true)
        }
    }

    static func describe(_ l: Literal) -> String {
        switch l {
        case .null: return "NULL"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return "\(v)"
        case .float(let v): return "\(v)"
        case .string(let s): return "'\(s)'"
        }
    }

    /// Lance's literal coercion: the literal must be representable in the column's type.
    func coerceLiteral(_ l: Literal, to type: DataType, column: Node, at pos: Int) throws -> Plan {
        func fail() -> LanceError {
            let name: String
            if case .column(let p) = column.kind { name = p.joined(separator: ".") } else { name = "column" }
            return exprError("cannot use the literal \(Binder.describe(l)) with `\(name)` of type \(type)", at: pos)
        }
        switch l {
        case .null:
            return .constant(.nulls(type, count: 1, scalar: true))
        case .bool(let b):
            guard type == .bool else { throw fail() }
            return .constant(.scalar(.bool, count: 1, .bool([b])))
        case .int(let v):
            switch type {
            case .int8, .int16, .int32, .int64:
                guard fits(v, type) else { throw fail() }
                return .constant(.scalar(type, count: 1, .int([v])))
            case .uint8, .uint16, .uint32, .uint64:
                guard v >= 0, fitsUnsigned(UInt64(v), type) else { throw fail() }
                return .constant(.scalar(type, count: 1, .uint([UInt64(v)])))
            case .float32: return .constant(.scalar(type, count: 1, .float([Double(Float(v))])))
            case .float64: return .constant(.scalar(type, count: 1, .float([Double(v)])))
            case .float16: return .constant(.scalar(type, count: 1, .float([halfToDouble(doubleToHalfBits(Double(v)))])))
            default: throw fail()
            }
        case .float(let v):
            switch type {
            case .float32: return .constant(.scalar(type, count: 1, .float([Double(Float(v))])))
            case .float64: return .constant(.scalar(type, count: 1, .float([v])))
            default: throw fail()
            }
        case .string(let s):
            guard type == .utf8 || type == .largeUtf8 else { throw fail() }
            return .constant(Col.strings([s], type: type, count: 1, scalar: true))
        }
    }

    func fits(_ v: Int64, _ type: DataType) -> Bool {
        switch type {
        case .int8: return Int8(exactly: v) != nil
        case .int16: return Int16(exactly: v) != nil
        case .int32: return Int32(exactly: v) != nil
        default: return true
        }
    }

    func fitsUnsigned(_ v: UInt64, _ type: DataType) -> Bool {
        switch type {
        case .uint8: return v <= UInt64(UInt8.max)
        case .uint16: return v <= UInt64(UInt16.max)
        case .uint32: return v <= UInt64(UInt32.max)
        default: return true
        }
    }

    func boolOperand(_ p: Plan, _ what: String, at pos: Int) throws -> Plan {
        let q = filterBool(p)
        guard q.type == .bool || q.type == .null else {
            throw exprError("\(what) needs a boolean operand, found \(q.type)", at: pos)
        }
        return q.type == .null ? try castPlan(q, to: .bool, at: pos) : q
    }

    /// regexp_match in a boolean position means "matches" (as Lance coerces it).
    func filterBool(_ p: Plan) -> Plan {
        if case .call(.regexpMatch, _, _, _) = p { return .isNull(p, negated: true) }
        return p
    }

    func binary(_ op: BinaryOp, _ l: Plan, _ r: Plan, at pos: Int) throws -> Plan {
        if op.isComparison {
            let t = try commonType(l.type, r.type, forComparison: true, at: pos)
            if case .struct = t { throw exprError("cannot compare struct values", at: pos) }
            return .compare(op, try castPlan(l, to: t, at: pos), try castPlan(r, to: t, at: pos))
        }
        if op == .concat {
            for x in [l, r] where !(x.type.isString || x.type == .null || x.type.isNumeric || x.type == .bool) {
                throw exprError("`||` needs strings, found \(x.type)", at: pos)
            }
            return .call(.concatOp, [try castPlan(l, to: .utf8, at: pos), try castPlan(r, to: .utf8, at: pos)], .utf8, pos: pos)
        }
        // arithmetic
        for x in [l, r] where !(x.type.isNumeric || x.type == .null) {
            throw exprError("operator `\(op.rawValue)` needs numbers, found \(x.type)", at: pos)
        }
        var t = try commonType(l.type, r.type, forComparison: false, at: pos)
        if t == .null { t = .int64 }
        let lp = try castPlan(l, to: t, at: pos), rp = try castPlan(r, to: t, at: pos)
        if case .constant(let a) = lp, case .constant(let b) = rp {
            return .constant(try Eval.arith(op, a, b, type: t, pos: pos))
        }
        return .arith(op, lp, rp, t, pos: pos)
    }

    /// DataFusion's common type of two operands.
    func commonType(_ a: DataType, _ b: DataType, forComparison: Bool, at pos: Int) throws -> DataType {
        if a == b { return a }
        if a == .null { return b }
        if b == .null { return a }
        if a.isNumeric && b.isNumeric { return numericCommon(a, b) }
        if a.isString && b.isString { return .largeUtf8 }
        let binaries: Set<DataType> = [.binary, .largeBinary, .utf8, .largeUtf8]
        if binaries.contains(a) && binaries.contains(b) { return a == .largeBinary || b == .largeBinary ? .largeBinary : .binary }
        if isTemporal(a) && isTemporal(b) { return temporalCommon(a, b) }
        if forComparison {
            if isTemporal(a) && b.isString { return a }
            if isTemporal(b) && a.isString { return b }
            if a.isNumeric && b.isString { return a }
            if b.isNumeric && a.isString { return b }
        }
        if case .list(let fa) = a, let fb = b.children.first, b.isNested, b.children.count == 1 {
            let item = try commonType(fa.type, fb.type, forComparison: false, at: pos)
            return .list(Field("item", item, nullable: true))
        }
        if a.children.count == 1 && b.children.count == 1 && a.isNested && b.isNested {
            if case .struct = a { } else {
                let item = try commonType(a.children[0].type, b.children[0].type, forComparison: false, at: pos)
                return .list(Field("item", item, nullable: true))
            }
        }
        throw exprError("type mismatch: cannot \(forComparison ? "compare" : "combine") \(a) with \(b)", at: pos)
    }

    func isTemporal(_ t: DataType) -> Bool {
        switch t { case .date32, .date64, .timestamp: return true; default: return false }
    }

    func temporalCommon(_ a: DataType, _ b: DataType) -> DataType {
        func rank(_ u: TimeUnit) -> Int { [.second: 0, .millisecond: 1, .microsecond: 2, .nanosecond: 3][u]! }
        switch (a, b) {
        case (.timestamp(let ua, let tz), .timestamp(let ub, _)): return .timestamp(rank(ua) >= rank(ub) ? ua : ub, timezone: tz)
        case (.timestamp, _): return a
        case (_, .timestamp): return b
        default: return .date64
        }
    }

    func numericCommon(_ a: DataType, _ b: DataType) -> DataType {
        if a == .float64 || b == .float64 { return .float64 }
        if a.isFloatingPoint || b.isFloatingPoint {
            if a == .float32 || b == .float32 { return .float32 }
            return .float16
        }
        func width(_ t: DataType) -> Int { t.byteWidth ?? 8 }
        if a.isSignedInteger == b.isSignedInteger { return width(a) >= width(b) ? a : b }
        let s = a.isSignedInteger ? a : b, u = a.isSignedInteger ? b : a
        let w = max(width(s), width(u) * 2)
        switch w {
        case 1: return .int8
        case 2: return .int16
        case 4: return .int32
        default: return .int64
        }
    }

    func checkCast(_ from: DataType, _ to: DataType, at pos: Int) throws {
        if from == to || from == .null { return }
        let scalarish: (DataType) -> Bool = { t in t.isNumeric || t == .bool || t.isString || self.isTemporal(t) || t == .binary || t == .largeBinary }
        guard scalarish(from) && scalarish(to) else {
            throw exprError("cannot cast \(from) to \(to)", at: pos)
        }
        if (to == .binary || to == .largeBinary) && !(from.isString || from == .binary || from == .largeBinary) {
            throw exprError("cannot cast \(from) to \(to)", at: pos)
        }
        if (from == .binary || from == .largeBinary) && !(to.isString || to == .binary || to == .largeBinary) {
            throw exprError("cannot cast \(from) to \(to)", at: pos)
        }
        if isTemporal(to) && (from == .bool || from.isFloatingPoint) { throw exprError("cannot cast \(from) to \(to)", at: pos) }
        if to == .bool && isTemporal(from) { throw exprError("cannot cast \(from) to \(to)", at: pos) }
    }

    func castPlan(_ p: Plan, to type: DataType, at pos: Int, explicit: Bool = false) throws -> Plan {
        if p.type == type { return p }
        if case .constant(let c) = p { return .constant(try Eval.cast(c, to: type, pos: pos)) }
        return .cast(p, type, pos: pos)
    }

    func castScalarString(_ text: String, to type: DataType, at pos: Int) throws -> Col {
        try Eval.cast(Col.strings([text], count: 1, scalar: true), to: type, pos: pos)
    }

    // MARK: - Functions

    func function(_ name: String, _ args: [Node], at pos: Int) throws -> Plan {
        if name == "is_valid" {
            guard args.count == 1 else { throw exprError("is_valid takes 1 argument, got \(args.count)", at: pos) }
            return .isNull(try bind(args[0], lanceCoercion: false), negated: true)
        }
        if name == "get_field" {
            let s = try bind(args[0], lanceCoercion: false)
            guard case .literal(.string(let field)) = args[1].kind, case .struct(let members) = s.type,
                  let i = members.firstIndex(where: { $0.name == field }) else {
                throw exprError("no such struct field", at: pos)
            }
            return .getField(s, i, members[i].type)
        }
        guard let f = Function.byName[name] else {
            var msg = "unknown function `\(name)`"
            if let s = suggestion(name, Array(Function.byName.keys) + ["is_valid"]) { msg += "; did you mean `\(s)`?" }
            throw exprError(msg, at: pos)
        }
        let ps = try args.map { try bind($0, lanceCoercion: false) }
        func arity(_ range: ClosedRange<Int>) throws {
            guard range.contains(ps.count) else {
                let want = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw exprError("\(name) takes \(want) argument\(range.upperBound == 1 ? "" : "s"), got \(ps.count)", at: pos)
            }
        }
        func string(_ k: Int) throws -> Plan {
            let p = ps[k]
            if p.type == .null { return try castPlan(p, to: .utf8, at: pos) }
            guard p.type.isString else { throw exprError("argument \(k + 1) of \(name) must be a string, found \(p.type)", at: args[k].pos) }
            return p
        }
        func number(_ k: Int) throws -> Plan {
            let p = ps[k]
            if p.type == .null { return try castPlan(p, to: .float64, at: pos) }
            guard p.type.isNumeric else { throw exprError("argument \(k + 1) of \(name) must be a number, found \(p.type)", at: args[k].pos) }
            return p
        }
        func list(_ k: Int) throws -> (Plan, DataType) {
            let p = ps[k]
            guard p.type.isNested, case let item? = p.type.children.first, p.type.children.count == 1, !isStruct(p.type) else {
                throw exprError("argument \(k + 1) of \(name) must be a list, found \(p.type)", at: args[k].pos)
            }
            return (p, item.type)
        }
        switch f {
        case .lower, .upper, .trim, .ltrim, .rtrim:
            try arity(1...1)
            let s = try string(0)
            return .call(f, [s], s.type, pos: pos)
        case .length:
            try arity(1...1)
            let s = try string(0)
            return .call(f, [s], s.type == .largeUtf8 ? .int64 : .int32, pos: pos)
        case .octetLength:
            try arity(1...1)
            let s = ps[0]
            guard s.type.isBinaryLike || s.type == .null else { throw exprError("octet_length needs a string or binary", at: pos) }
            return .call(f, [s], s.type.hasLargeOffsets ? .int64 : .int32, pos: pos)
        case .startsWith, .endsWith, .contains:
            try arity(2...2)
            return .call(f, [try string(0), try string(1)], .bool, pos: pos)
        case .regexpMatch, .regexpLike:
            try arity(2...3)
            var a = [try string(0), try string(1)]
            if ps.count == 3 { a.append(try string(2)) }
            if case .constant(let c) = a[1], c.isValid(0) { _ = try Eval.regex(c.string(0), flags: nil, pos: args[1].pos) }
            return .call(f, a, f == .regexpLike ? .bool : .list(Field("item", .utf8, nullable: true)), pos: pos)
        case .abs:
            try arity(1...1)
            let p = try number(0)
            return .call(f, [p], p.type, pos: pos)
        case .round, .floor, .ceil, .sqrt:
            try arity(f == .round ? 1...2 : 1...1)
            var p = try number(0)
            let t: DataType = p.type == .float32 ? .float32 : .float64
            p = try castPlan(p, to: t, at: pos)
            var a = [p]
            if ps.count == 2 {
                guard ps[1].type.isInteger || ps[1].type == .null else { throw exprError("round's digits must be an integer", at: args[1].pos) }
                a.append(try castPlan(ps[1], to: .int64, at: pos))
            }
            return .call(f, a, t, pos: pos)
        case .isNaN:
            try arity(1...1)
            return .call(f, [try castPlan(try number(0), to: .float64, at: pos)], .bool, pos: pos)
        case .coalesce:
            guard !ps.isEmpty else { throw exprError("coalesce needs at least one argument", at: pos) }
            var t: DataType = .null
            for p in ps { t = try commonType(t, p.type, forComparison: false, at: pos) }
            return .call(f, try ps.map { try castPlan($0, to: t, at: pos) }, t, pos: pos)
        case .nullif:
            try arity(2...2)
            let t = try commonType(ps[0].type, ps[1].type, forComparison: true, at: pos)
            return .call(f, [try castPlan(ps[0], to: t, at: pos), try castPlan(ps[1], to: t, at: pos)], t, pos: pos)
        case .concatOp:
            return .call(f, try ps.map { try castPlan($0, to: .utf8, at: pos) }, .utf8, pos: pos)
        case .concat:
            guard !ps.isEmpty else { throw exprError("concat needs at least one argument", at: pos) }
            return .call(f, try ps.map { try castPlan($0, to: .utf8, at: pos) }, .utf8, pos: pos)
        case .arrayHas:
            try arity(2...2)
            let (l, item) = try list(0)
            let t = try commonType(item, ps[1].type, forComparison: true, at: pos)
            let lt: DataType = .list(Field("item", t, nullable: true))
            return .call(f, [try castListPlan(l, to: lt, at: pos), try castPlan(ps[1], to: t, at: pos)], .bool, pos: pos)
        case .arrayHasAny, .arrayHasAll:
            try arity(2...2)
            let (l, a) = try list(0)
            let (r, b) = try list(1)
            let t = try commonType(a, b, forComparison: true, at: pos)
            let lt: DataType = .list(Field("item", t, nullable: true))
            return .call(f, [try castListPlan(l, to: lt, at: pos), try castListPlan(r, to: lt, at: pos)], .bool, pos: pos)
        case .arrayLength:
            try arity(1...2)
            let (l, _) = try list(0)
            return .call(f, [l], .uint64, pos: pos)
        }
    }

    func isStruct(_ t: DataType) -> Bool { if case .struct = t { return true }; return false }

    /// Lists are compared item-wise in the evaluator: only the item type must be cast.
    func castListPlan(_ p: Plan, to type: DataType, at pos: Int) throws -> Plan {
        guard let item = type.children.first?.type, p.type.children.first?.type != item else { return p }
        return .cast(p, type, pos: pos)
    }

    func suggestion(_ name: String, _ candidates: [String]) -> String? {
        if let exact = candidates.first(where: { $0.lowercased() == name.lowercased() }) { return exact }
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(Array(name.lowercased()), Array(c.lowercased()))
            if d <= max(1, min(name.count, c.count) / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0 ... b.count)
        var cur = prev
        for i in 1 ... a.count {
            cur[0] = i
            for j in 1 ... b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], prev2[j - 2] + 1) }
            }
            prev2 = prev
            prev = cur
        }
        return prev[b.count]
    }
}
