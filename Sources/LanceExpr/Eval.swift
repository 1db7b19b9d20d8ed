import LanceArrow
import LanceCore

/// Evaluates a ``Plan`` over a batch, one column operation at a time.
struct Eval {
    let batch: RecordBatch
    let n: Int

    func run(_ p: Plan) throws -> Col {
        switch p {
        case .column(let name, let path, _):
            guard let a = batch.column(name) else {
                throw LanceError(.invalidInput, "the batch has no column `\(name)` the expression needs", column: name)
            }
            var c = try Col.load(a)
            for m in path {
                guard case .structure(let children) = c.storage, case .struct(let members) = c.type,
                      let i = members.firstIndex(where: { $0.name == m }) else {
                    throw LanceError(.schemaMismatch, "the batch's `\(name)` has no field `\(m)`", column: name)
                }
                c = Eval.child(c, children[i])
            }
            return c
        case .constant(let c):
            var s = c
            s.count = n
            return s
        case .cast(let a, let t, let pos):
            return try Eval.cast(try run(a), to: t, pos: pos)
        case .compare(let op, let a, let b):
            return try Eval.compare(op, try run(a), try run(b), n: n)
        case .arith(let op, let a, let b, let t, let pos):
            return try Eval.arith(op, try run(a), try run(b), type: t, pos: pos)
        case .and(let a, let b):
            let l = try run(a)
            // Short cut: nothing left to decide when the left side is all FALSE.
            if l.valid == nil, !l.scalar, case .bool(let v) = l.storage, !v.contains(true) { return l }
            return Eval.logic(and: true, l, try run(b), n: n)
        case .or(let a, let b):
            return Eval.logic(and: false, try run(a), try run(b), n: n)
        case .not(let a):
            let c = try run(a)
            guard case .bool(let v) = c.storage else { return Col.nulls(.bool, count: n) }
            return Col(type: .bool, count: n, valid: c.valid, storage: .bool(v.map { !$0 }), scalar: c.scalar)
        case .negate(let a, let pos):
            return try Eval.negate(try run(a), pos: pos)
        case .isNull(let a, let negated):
            let c = try run(a)
            let v = K.validity(c, n)
            let out = v.map { $0.map { negated ? $0 : !$0 } } ?? [Bool](repeating: negated, count: n)
            return Col(type: .bool, count: n, valid: nil, storage: .bool(out))
        case .isBool(let a, let value, let negated):
            let c = try run(a)
            let v = K.bools(c, n)
            let valid = K.validity(c, n)
            var out = [Bool](repeating: false, count: n)
            for i in 0 ..< n {
                let hit = (valid?[i] ?? true) && v[i] == value
                out[i] = negated ? !hit : hit
            }
            return Col(type: .bool, count: n, valid: nil, storage: .bool(out))
        case .inList(let a, let items, let negated):
            let e = try run(a)
            var acc: Col? = nil
            for item in items {
                let eq = try Eval.compare(.eq, e, try run(item), n: n)
                acc = acc.map { Eval.logic(and: false, $0, eq, n: n) } ?? eq
            }
            var r = acc ?? Col(type: .bool, count: n, valid: K.validity(e, n), storage: .bool([Bool](repeating: false, count: n)))
            if negated, case .bool(let v) = r.storage { r.storage = .bool(v.map { !$0 }) }
            return r
        case .like(let a, let pattern, let negated, let ci, let escape):
            return try Eval.like(try run(a), try run(pattern), negated: negated, ci: ci, escape: escape, n: n)
        case .caseWhen(let branches, let otherwise, let t):
            var pick = [Int](repeating: -1, count: n)
            var undecided = n
            var values: [Col] = []
            for (k, (cond, value)) in branches.enumerated() {
                let c = try run(cond)
                let v = K.bools(c, n)
                let valid = K.validity(c, n)
                for i in 0 ..< n where pick[i] == -1 && v[i] && (valid?[i] ?? true) {
                    pick[i] = k
                    undecided -= 1
                }
                values.append(try run(value))
            }
            let e = try otherwise.map { try run($0) } ?? Col.nulls(t, count: n, scalar: true)
            values.append(e)
            let last = values.count - 1
            return try Eval.choose(values, pick.map { $0 == -1 ? last : $0 }, type: t, n: n)
        case .call(let f, let args, let t, let pos):
            return try Eval.call(f, try args.map { try run($0) }, type: t, n: n, pos: pos)
        case .makeArray(let items, let t):
            let cols = try items.map { try run($0).expanded() }
            let k = cols.count
            var idx: [Int] = []
            idx.reserveCapacity(n * k)
            // items laid out row-major: row i holds cols[0][i], cols[1][i], …
            var pick: [Int] = []
            pick.reserveCapacity(n * k)
            for i in 0 ..< n { for j in 0 ..< k { idx.append(i); pick.append(j) } }
            let item = t.children.first?.type ?? .null
            let flat = k == 0 ? Col.nulls(item, count: 0) : try Eval.choose(cols.map { $0 }, pick, type: item, n: n * k, rows: idx)
            return Col(type: t, count: n, valid: nil, storage: .list(offsets: (0 ... n).map { $0 * k }, items: flat))
        case .getField(let a, let i, _):
            let s = try run(a).expanded()
            guard case .structure(let children) = s.storage else { return Col.nulls(p.type, count: n) }
            return Eval.child(s, children[i])
        case .index(let a, let i, let t):
            let l = try run(a).expanded()
            let ix = try run(i).expanded()
            guard case .list(let offsets, let items) = l.storage, case .int(let iv) = ix.storage else { return Col.nulls(t, count: n) }
            var rows = [Int](repeating: -1, count: n)
            for r in 0 ..< n where l.isValid(r) && ix.isValid(r) {
                let len = offsets[r + 1] - offsets[r]
                let k = iv[r]
                if k >= 1 && k <= len { rows[r] = offsets[r] + Int(k) - 1 }
            }
            return items.gather(rows)
        }
    }

    static func child(_ parent: Col, _ child: Col) -> Col {
        var c = child
        if let pv = parent.valid {
            let cv = c.valid ?? [Bool](repeating: true, count: pv.count)
            c.valid = zip(pv, cv).map { $0 && $1 }
        }
        return c
    }

    // MARK: - Logic

    static func logic(and: Bool, _ a: Col, _ b: Col, n: Int) -> Col {
        let x = K.bools(a, n), y = K.bools(b, n)
        let va = K.validity(a, n), vb = K.validity(b, n)
        if va == nil && vb == nil {
            return Col(type: .bool, count: n, valid: nil,
                       storage: .bool(and ? K.map2(x, false, y, false, n) { $0 && $1 } : K.map2(x, false, y, false, n) { $0 || $1 }))
        }
        var out = [Bool](repeating: false, count: n)
        var valid = [Bool](repeating: true, count: n)
        for i in 0 ..< n {
            let av = va?[i] ?? true, bv = vb?[i] ?? true
            if and {
                if (av && !x[i]) || (bv && !y[i]) { out[i] = false; valid[i] = true }
                else if av && bv { out[i] = true; valid[i] = true }
                else { valid[i] = false }
            } else {
                if (av && x[i]) || (bv && y[i]) { out[i] = true; valid[i] = true }
                else if av && bv { out[i] = false; valid[i] = true }
                else { valid[i] = false }
            }
        }
        return Col(type: .bool, count: n, valid: valid, storage: .bool(out))
    }

    // MARK: - Comparison

    static func compare(_ op: BinaryOp, _ a: Col, _ b: Col, n: Int) throws -> Col {
        let valid = K.bothValid(a, b, n)
        let out: [Bool]
        switch (a.storage, b.storage) {
        case (.int(let x), .int(let y)): out = K.compare(op, x, a.scalar, y, b.scalar, n)
        case (.uint(let x), .uint(let y)): out = K.compare(op, x, a.scalar, y, b.scalar, n)
        case (.float(let x), .float(let y)):
            switch op {
            case .eq: out = K.map2(x, a.scalar, y, b.scalar, n) { K.totalKey($0) == K.totalKey($1) }
            case .ne: out = K.map2(x, a.scalar, y, b.scalar, n) { K.totalKey($0) != K.totalKey($1) }
            case .lt: out = K.map2(x, a.scalar, y, b.scalar, n) { K.totalKey($0) < K.totalKey($1) }
            case .le: out = K.map2(x, a.scalar, y, b.scalar, n) { K.totalKey($0) <= K.totalKey($1) }
            case .gt: out = K.map2(x, a.scalar, y, b.scalar, n) { K.totalKey($0) > K.totalKey($1) }
            default: out = K.map2(x, a.scalar, y, b.scalar, n) { K.totalKey($0) >= K.totalKey($1) }
            }
        case (.bool(let x), .bool(let y)):
            out = K.compare(op, x.map { $0 ? 1 : 0 }, a.scalar, y.map { $0 ? 1 : 0 }, b.scalar, n)
        case (.bytes, .bytes):
            var r = [Bool](repeating: false, count: n)
            for i in 0 ..< n {
                let c = a.withBytes(i) { p in b.withBytes(i) { q in K.bytesCompare(p, q) } }
                switch op {
                case .eq: r[i] = c == 0
                case .ne: r[i] = c != 0
                case .lt: r[i] = c < 0
                case .le: r[i] = c <= 0
                case .gt: r[i] = c > 0
                default: r[i] = c >= 0
                }
            }
            out = r
        case (.null, _), (_, .null):
            return Col.nulls(.bool, count: n)
        case (.list, .list):
            var r = [Bool](repeating: false, count: n)
            for i in 0 ..< n {
                let c = try listCompare(a, b, i)
                switch op {
                case .eq: r[i] = c == 0
                case .ne: r[i] = c != 0
                case .lt: r[i] = c < 0
                case .le: r[i] = c <= 0
                case .gt: r[i] = c > 0
                default: r[i] = c >= 0
                }
            }
            out = r
        default:
            throw LanceError(.invalidInput, "cannot compare \(a.type) with \(b.type)")
        }
        return Col(type: .bool, count: n, valid: valid, storage: .bool(out), scalar: a.scalar && b.scalar)
    }

    static func listCompare(_ a: Col, _ b: Col, _ i: Int) throws -> Int {
        guard case .list(let oa, let ia) = a.storage, case .list(let ob, let ib) = b.storage else { return 0 }
        let ra = a.scalar ? 0 : i, rb = b.scalar ? 0 : i
        let la = oa[ra + 1] - oa[ra], lb = ob[rb + 1] - ob[rb]
        for k in 0 ..< min(la, lb) {
            let x = ia.gather([oa[ra] + k]), y = ib.gather([ob[rb] + k])
            let lt = try compare(.lt, x, y, n: 1), gt = try compare(.gt, x, y, n: 1)
            if K.bools(lt, 1)[0] { return -1 }
            if K.bools(gt, 1)[0] { return 1 }
        }
        return la < lb ? -1 : (la > lb ? 1 : 0)
    }

    // MARK: - Arithmetic

    static func negate(_ c: Col, pos: Int) throws -> Col {
        var r = c
        switch c.storage {
        case .int(let v): r.storage = .int(v.map { 0 &- $0 }); return try wrap(r)
        case .float(let v): r.storage = .float(v.map { -$0 })
        case .uint: throw exprError("cannot negate an unsigned value", at: pos)
        case .null: break
        default: throw exprError("cannot negate \(c.type)", at: pos)
        }
        return r
    }

    /// Wraps integer results to the width of the column's type; rounds float32 results.
    static func wrap(_ c: Col) throws -> Col {
        var r = c
        switch (c.type, c.storage) {
        case (.int8, .int(let v)): r.storage = .int(v.map { Int64(Int8(truncatingIfNeeded: $0)) })
        case (.int16, .int(let v)): r.storage = .int(v.map { Int64(Int16(truncatingIfNeeded: $0)) })
        case (.int32, .int(let v)): r.storage = .int(v.map { Int64(Int32(truncatingIfNeeded: $0)) })
        case (.uint8, .uint(let v)): r.storage = .uint(v.map { UInt64(UInt8(truncatingIfNeeded: $0)) })
        case (.uint16, .uint(let v)): r.storage = .uint(v.map { UInt64(UInt16(truncatingIfNeeded: $0)) })
        case (.uint32, .uint(let v)): r.storage = .uint(v.map { UInt64(UInt32(truncatingIfNeeded: $0)) })
        case (.float32, .float(let v)): r.storage = .float(v.map { Double(Float($0)) })
        case (.float16, .float(let v)): r.storage = .float(v.map { halfToDouble(doubleToHalfBits($0)) })
        default: break
        }
        return r
    }

    static func arith(_ op: BinaryOp, _ a: Col, _ b: Col, type: DataType, pos: Int) throws -> Col {
        let scalar = a.scalar && b.scalar
        let count = a.scalar ? b.count : a.count
        let m = scalar ? 1 : count
        let valid = K.bothValid(a, b, m)
        let xs = a.scalar && !scalar, ys = b.scalar && !scalar
        var storage: Col.Storage
        switch (a.storage, b.storage) {
        case (.int(let x), .int(let y)):
            if op == .div || op == .mod {
                for i in 0 ..< m where (valid?[i] ?? true) && y[b.scalar ? 0 : i] == 0 {
                    throw exprError("division by zero", at: pos)
                }
            }
            switch op {
            case .add: storage = .int(K.map2(x, xs, y, ys, m) { $0 &+ $1 })
            case .sub: storage = .int(K.map2(x, xs, y, ys, m) { $0 &- $1 })
            case .mul: storage = .int(K.map2(x, xs, y, ys, m) { $0 &* $1 })
            case .div: storage = .int(K.map2(x, xs, y, ys, m) { $1 == 0 ? 0 : $0.dividedReportingOverflow(by: $1).partialValue })
            default: storage = .int(K.map2(x, xs, y, ys, m) { $1 == 0 ? 0 : $0.remainderReportingOverflow(dividingBy: $1).partialValue })
            }
        case (.uint(let x), .uint(let y)):
            if op == .div || op == .mod {
                for i in 0 ..< m where (valid?[i] ?? true) && y[b.scalar ? 0 : i] == 0 {
                    throw exprError("division by zero", at: pos)
                }
            }
            switch op {
            case .add: storage = .uint(K.map2(x, xs, y, ys, m) { $0 &+ $1 })
            case .sub: storage = .uint(K.map2(x, xs, y, ys, m) { $0 &- $1 })
            case .mul: storage = .uint(K.map2(x, xs, y, ys, m) { $0 &* $1 })
            case .div: storage = .uint(K.map2(x, xs, y, ys, m) { $1 == 0 ? 0 : $0 / $1 })
            default: storage = .uint(K.map2(x, xs, y, ys, m) { $1 == 0 ? 0 : $0 % $1 })
            }
        case (.float(let x), .float(let y)):
            switch op {
            case .add: storage = .float(K.map2(x, xs, y, ys, m) { $0 + $1 })
            case .sub: storage = .float(K.map2(x, xs, y, ys, m) { $0 - $1 })
            case .mul: storage = .float(K.map2(x, xs, y, ys, m) { $0 * $1 })
            case .div: storage = .float(K.map2(x, xs, y, ys, m) { $0 / $1 })
            default: storage = .float(K.map2(x, xs, y, ys, m) { $0.truncatingRemainder(dividingBy: $1) })
            }
        case (.null, _), (_, .null):
            return Col.nulls(type, count: count, scalar: scalar)
        default:
            throw exprError("operator `\(op.rawValue)` cannot combine \(a.type) and \(b.type)", at: pos)
        }
        return try wrap(Col(type: type, count: count, valid: valid, storage: storage, scalar: scalar))
    }

    // MARK: - Choose (CASE)

    /// Row i takes `sources[pick[i]]` at row `rows?[i] ?? i`.
    static func choose(_ sources: [Col], _ pick: [Int], type: DataType, n: Int, rows: [Int]? = nil) throws -> Col {
        let srcs = sources
        func row(_ i: Int) -> Int { rows?[i] ?? i }
        func src(_ c: Col, _ i: Int) -> Int { c.scalar ? 0 : row(i) }
        let valid = (0 ..< n).map { i in srcs[pick[i]].isValid(row(i)) }
        let v: [Bool]? = valid.allSatisfy { $0 } ? nil : valid
        switch Col.kind(of: type) {
        case .null: return Col(type: .null, count: n, valid: nil, storage: .null)
        case .bool:
            return Col(type: type, count: n, valid: v, storage: .bool((0 ..< n).map { i in
                let c = srcs[pick[i]]; if case .bool(let x) = c.storage { return x[src(c, i)] }; return false }))
        case .int:
            return Col(type: type, count: n, valid: v, storage: .int((0 ..< n).map { i in
                let c = srcs[pick[i]]; if case .int(let x) = c.storage { return x[src(c, i)] }; return 0 }))
        case .uint:
            return Col(type: type, count: n, valid: v, storage: .uint((0 ..< n).map { i in
                let c = srcs[pick[i]]; if case .uint(let x) = c.storage { return x[src(c, i)] }; return 0 }))
        case .float:
            return Col(type: type, count: n, valid: v, storage: .float((0 ..< n).map { i in
                let c = srcs[pick[i]]; if case .float(let x) = c.storage { return x[src(c, i)] }; return 0 }))
        case .bytes:
            var data = BufferBuilder()
            var offsets = [0]
            offsets.reserveCapacity(n + 1)
            for i in 0 ..< n {
                let c = srcs[pick[i]]
                if valid[i], case .bytes = c.storage { c.withBytes(row(i)) { data.append($0) } }
                offsets.append(data.count)
            }
            return Col(type: type, count: n, valid: v, storage: .bytes(offsets: offsets, data: data.build()))
        default:
            throw LanceError(.unsupported, "CASE results of type \(type) are not supported")
        }
    }
}
