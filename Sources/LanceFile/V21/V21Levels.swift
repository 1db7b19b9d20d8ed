import LanceArrow
import LanceCore
import LanceProto

/// The meaning of one repetition/definition layer (innermost first).
enum V21Layer: Sendable, Equatable {
    case item(nullable: Bool)
    case list(nullable: Bool, emptyable: Bool)

    static func from(_ l: Lance_Encodings21_RepDefLayer) throws -> V21Layer {
        switch l {
        case .repdefAllValidItem: return .item(nullable: false)
        case .repdefNullableItem: return .item(nullable: true)
        case .repdefAllValidList: return .list(nullable: false, emptyable: false)
        case .repdefNullableList: return .list(nullable: true, emptyable: false)
        case .repdefEmptyableList: return .list(nullable: false, emptyable: true)
        case .repdefNullAndEmptyList: return .list(nullable: true, emptyable: true)
        default: throw LanceError.corrupt("unknown rep/def layer \(l)")
        }
    }

    static func from(_ ls: [Lance_Encodings21_RepDefLayer]) throws -> [V21Layer] {
        guard !ls.isEmpty else { throw LanceError.corrupt("page has no rep/def layers") }
        return try ls.map(from)
    }

    var isList: Bool { if case .list = self { return true } else { return false } }
}

/// Validity and list lengths of one layer, decoded from levels.
struct V21LayerOut: Sendable {
    var validity: [Bool]?
    var lengths: [Int]?
    var count: Int

    static func concat(_ parts: [V21LayerOut]) -> V21LayerOut {
        if parts.count == 1 { return parts[0] }
        var out = V21LayerOut(validity: nil, lengths: nil, count: 0)
        if parts.contains(where: { $0.validity != nil }) {
            var v = [Bool](); v.reserveCapacity(parts.reduce(0) { $0 + $1.count })
            for p in parts { if let pv = p.validity { v.append(contentsOf: pv) } else { v.append(contentsOf: repeatElement(true, count: p.count)) } }
            out.validity = v
        }
        if parts.contains(where: { $0.lengths != nil }) {
            var l = [Int]()
            for p in parts { l.append(contentsOf: p.lengths ?? []) }
            out.lengths = l
        }
        out.count = parts.reduce(0) { $0 + $1.count }
        return out
    }
}

/// Rep/def levels and values for a run of whole rows of one column.
struct V21Segment: Sendable {
    var layers: [V21Layer]
    var rep: [UInt16]?
    var def: [UInt16]?
    var values: V21Values
    var rows: Int

    var maxRep: Int { layers.reduce(0) { $0 + ($1.isList ? 1 : 0) } }

    /// Highest definition level whose item still has a value slot (nulls of item layers inside the first list).
    var maxVisibleDef: Int {
        var n = 0
        for l in layers {
            guard case .item(let nullable) = l else { break }
            if nullable { n += 1 }
        }
        return n
    }

    var levelCount: Int { rep?.count ?? def?.count ?? rows }

    /// Level index where each row starts, plus the end.
    func rowStarts() throws -> [Int] {
        let n = levelCount
        guard let rep else {
            guard n == rows else { throw LanceError.corrupt("\(n) definition levels for \(rows) rows") }
            return Array(0 ... rows)
        }
        if let def, def.count != rep.count { throw LanceError.corrupt("\(rep.count) repetition levels but \(def.count) definition levels") }
        let m = UInt16(truncatingIfNeeded: maxRep)
        var starts = [Int](); starts.reserveCapacity(rows + 1)
        for (i, r) in rep.enumerated() where r == m { starts.append(i) }
        guard starts.count == rows, rows == 0 || starts[0] == 0 else {
            throw LanceError.corrupt("repetition levels hold \(starts.count) rows, expected \(rows)")
        }
        starts.append(n)
        return starts
    }

    /// Prefix counts of visible items (items with a value slot) before each level.
    func visiblePrefix() -> [Int]? {
        guard let def else { return nil }
        let mv = maxVisibleDef
        var p = [Int](); p.reserveCapacity(def.count + 1)
        var c = 0
        p.append(0)
        for d in def { if Int(d) <= mv { c += 1 }; p.append(c) }
        return p
    }

    func checkValues() throws {
        let visible = visiblePrefix()?.last ?? levelCount
        guard values.count == visible else {
            throw LanceError.corrupt("page has \(values.count) values for \(visible) visible items")
        }
    }

    /// Rows `r` of this segment.
    func slice(rows r: Range<Int>) throws -> V21Segment {
        if r.lowerBound == 0 && r.upperBound == rows { return self }
        let starts = try rowStarts()
        let l0 = starts[r.lowerBound], l1 = starts[r.upperBound]
        let vp = visiblePrefix()
        let i0 = vp?[l0] ?? l0, i1 = vp?[l1] ?? l1
        return V21Segment(layers: layers, rep: rep.map { Array($0[l0 ..< l1]) }, def: def.map { Array($0[l0 ..< l1]) },
                          values: values.slice(i0 ..< i1), rows: r.count)
    }

    /// The rows at `indices` (ascending, in range) of this segment.
    func select(rows indices: [Int]) throws -> V21Segment {
        if indices.count == rows { return self }
        let starts = try rowStarts()
        let vp = visiblePrefix()
        var newRep: [UInt16]? = rep == nil ? nil : []
        var newDef: [UInt16]? = def == nil ? nil : []
        var items = [Int]()
        for i in indices {
            let l0 = starts[i], l1 = starts[i + 1]
            if let rep { newRep!.append(contentsOf: rep[l0 ..< l1]) }
            if let def { newDef!.append(contentsOf: def[l0 ..< l1]) }
            let i0 = vp?[l0] ?? l0, i1 = vp?[l1] ?? l1
            items.append(contentsOf: i0 ..< i1)
        }
        return V21Segment(layers: layers, rep: newRep, def: newDef, values: values.gather(items), rows: indices.count)
    }

    /// Decodes the levels into per-layer validity and list lengths (innermost layer first).
    func unravel() throws -> [V21LayerOut] {
        // Definition codes: 0 is valid; each nullable/emptyable layer takes codes from the inside out.
        var codeRep: [Int] = [0]   // rep depth at which each code is visible
        var lists = 0
        for l in layers {
            switch l {
            case .item(let nullable): if nullable { codeRep.append(lists) }
            case .list(let nl, let em):
                lists += 1
                if nl { codeRep.append(lists) }
                if em { codeRep.append(lists) }
            }
        }
        let maxCode = codeRep.count - 1
        if let def, let bad = def.first(where: { Int($0) > maxCode }) {
            throw LanceError.corrupt("definition level \(bad) exceeds the maximum \(maxCode) of the page's layers")
        }
        if lists > 0 && rep == nil { throw LanceError.corrupt("page has list layers but no repetition levels") }
        if let rep, let bad = rep.first(where: { Int($0) > lists }) {
            throw LanceError.corrupt("repetition level \(bad) exceeds the \(lists) list layers")
        }
        var r = rep ?? []
        var d = def ?? []
        let hasDef = def != nil
        var len = levelCount
        var outs: [V21LayerOut] = []
        outs.reserveCapacity(layers.count)
        var base = 0
        var curRep = 0
        for (i, layer) in layers.enumerated() {
            switch layer {
            case .item(let nullable):
                if hasDef {
                    var validity: [Bool]? = nullable ? [] : nil
                    validity?.reserveCapacity(len)
                    var count = 0
                    for k in 0 ..< len {
                        let c = Int(d[k])
                        if codeRep[c] <= curRep {
                            count += 1
                            if nullable { validity!.append(c <= base) }
                        }
                    }
                    outs.append(V21LayerOut(validity: validity, lengths: nil, count: count))
                } else {
                    outs.append(V21LayerOut(validity: nil, lengths: nil, count: len))
                }
                if nullable { base += 1 }
            case .list(let nl, let em):
                let validLevel = base
                let nullLevel = nl ? base + 1 : -1
                let emptyLevel = em ? base + (nl ? 2 : 1) : -1
                base += (nl ? 1 : 0) + (em ? 1 : 0)
                let upperNull = base
                var maxLevel = base
                for later in layers[(i + 1)...] {
                    guard case .item(let n) = later else { break }
                    if n { maxLevel += 1 }
                }
                var lengths = [Int](); lengths.reserveCapacity(len)
                var validity: [Bool]? = nil
                func push(_ valid: Bool, _ n: Int) {
                    lengths.append(n)
                    if !valid && validity == nil { validity = [Bool](repeating: true, count: lengths.count - 1) }
                    validity?.append(valid)
                }
                var w = 0
                for k in 0 ..< len {
                    let rv = r[k]
                    if rv != 0 {
                        let dv = hasDef ? Int(d[k]) : 0
                        r[w] = rv - 1
                        if hasDef { d[w] = d[k] }
                        w += 1
                        if dv <= validLevel { push(true, 1) }
                        else if dv > maxLevel { continue }
                        else if dv == nullLevel || dv > upperNull { push(false, 0) }
                        else if dv == emptyLevel { push(true, 0) }
                        else { push(true, 1) }
                    } else {
                        guard !lengths.isEmpty else { throw LanceError.corrupt("levels continue a list before any list starts") }
                        lengths[lengths.count - 1] += 1
                    }
                }
                len = w
                curRep += 1
                outs.append(V21LayerOut(validity: validity, lengths: lengths, count: lengths.count))
            }
        }
        guard outs.last?.count == rows else {
            throw LanceError.corrupt("levels describe \(outs.last?.count ?? 0) rows, expected \(rows)")
        }
        guard outs[0].count == values.count else {
            throw LanceError.corrupt("levels describe \(outs[0].count) items but the page has \(values.count) values")
        }
        return outs
    }
}
