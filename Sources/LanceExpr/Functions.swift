import Foundation
import LanceArrow
import LanceCore

extension Eval {
    static func regex(_ pattern: String, flags: String?, pos: Int) throws -> NSRegularExpression {
        var opts: NSRegularExpression.Options = []
        if let flags {
            for f in flags {
                switch f {
                case "i": opts.insert(.caseInsensitive)
                case "s": opts.insert(.dotMatchesLineSeparators)
                case "m": opts.insert(.anchorsMatchLines)
                case "x": opts.insert(.allowCommentsAndWhitespace)
                default: throw exprError("unsupported regular expression flag `\(f)`", at: pos)
                }
            }
        }
        do { return try NSRegularExpression(pattern: pattern, options: opts) }
        catch { throw exprError("invalid regular expression '\(pattern)'", at: pos) }
    }

    /// Applies `f` to each valid row of string columns, producing values of one storage kind.
    static func mapStrings(_ args: [Col], n: Int, _ f: ([String]) throws -> Any?) rethrows -> ([Any?], [Bool]) {
        var out = [Any?](repeating: nil, count: n)
        var valid = [Bool](repeating: false, count: n)
        for i in 0 ..< n where args.allSatisfy({ $0.isValid(i) }) {
            let v = try f(args.map { $0.string(i) })
            out[i] = v
            valid[i] = v != nil
        }
        return (out, valid)
    }

    static func call(_ f: Function, _ args: [Col], type: DataType, n: Int, pos: Int) throws -> Col {
        func strings(_ g: (String) -> String) -> Col {
            let a = args[0]
            var out: [String?] = []
            out.reserveCapacity(n)
            for i in 0 ..< n { out.append(a.isValid(i) ? g(a.string(i)) : nil) }
            return Col.strings(out, type: type)
        }
        func boolsOf(_ pred: (Int) throws -> Bool?) rethrows -> Col {
            var out = [Bool](repeating: false, count: n)
            var valid = [Bool](repeating: true, count: n)
            for i in 0 ..< n {
                if let b = try pred(i) { out[i] = b } else { valid[i] = false }
            }
            return Col(type: .bool, count: n, valid: valid.allSatisfy { $0 } ? nil : valid, storage: .bool(out))
        }
        switch f {
        case .lower: return strings { $0.lowercased() }
        case .upper: return strings { $0.uppercased() }
        case .trim: return strings { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
        case .ltrim: return strings { String($0.drop { $0 == " " }) }
        case .rtrim: return strings { String(String($0.reversed()).drop { $0 == " " }.reversed()) }
        case .length, .octetLength:
            let a = args[0]
            var out = [Int64](repeating: 0, count: n)
            for i in 0 ..< n where a.isValid(i) {
                out[i] = Int64(a.withBytes(i) { b in
                    f == .octetLength ? b.count : b.reduce(0) { $0 + (($1 & 0xC0) != 0x80 ? 1 : 0) }
                })
            }
            return Col(type: type, count: n, valid: K.validity(a, n), storage: .int(out))
        case .startsWith, .endsWith, .contains:
            let a = args[0], b = args[1]
            return boolsOf { i in
                guard a.isValid(i) && b.isValid(i) else { return nil }
                return a.withBytes(i) { s in b.withBytes(i) { p in
                    guard p.count <= s.count else { return false }
                    switch f {
                    case .startsWith: return K.bytesCompare(UnsafeRawBufferPointer(rebasing: s[0 ..< p.count]), p) == 0
                    case .endsWith: return K.bytesCompare(UnsafeRawBufferPointer(rebasing: s[(s.count - p.count)...]), p) == 0
                    default:
                        if p.isEmpty { return true }
                        for k in 0 ... (s.count - p.count)
                        where K.bytesCompare(UnsafeRawBufferPointer(rebasing: s[k ..< k + p.count]), p) == 0 { return true }
                        return false
                    }
                } }
            }
        case .regexpLike, .regexpMatch:
            let a = args[0], p = args[1]
            let flags = args.count > 2 ? args[2] : nil
            var cache: [String: NSRegularExpression] = [:]
            var matched = [Bool](repeating: false, count: n)
            var valid = [Bool](repeating: false, count: n)
            var groups = [[String?]](repeating: [], count: n)
            for i in 0 ..< n where a.isValid(i) && p.isValid(i) && (flags?.isValid(i) ?? true) {
                let key = p.string(i) + "\u{0}" + (flags.map { $0.string(i) } ?? "")
                let re: NSRegularExpression
                if let r = cache[key] { re = r } else {
                    re = try regex(p.string(i), flags: flags.map { $0.string(i) }, pos: pos)
                    cache[key] = re
                }
                let s = a.string(i)
                let ns = s as NSString
                let m = re.firstMatch(in: s, range: NSRange(location: 0, length: ns.length))
                valid[i] = true
                matched[i] = m != nil
                if f == .regexpMatch {
                    if let m {
                        if m.numberOfRanges <= 1 { groups[i] = [ns.substring(with: m.range)] }
                        else { groups[i] = (1 ..< m.numberOfRanges).map { k in m.range(at: k).location == NSNotFound ? nil : ns.substring(with: m.range(at: k)) } }
                    } else { valid[i] = false }
                }
            }
            if f == .regexpLike {
                return Col(type: .bool, count: n, valid: valid.allSatisfy { $0 } ? nil : valid, storage: .bool(matched))
            }
            var flat: [String?] = []
            var offsets = [0]
            for i in 0 ..< n { flat.append(contentsOf: groups[i]); offsets.append(flat.count) }
            return Col(type: type, count: n, valid: valid, storage: .list(offsets: offsets, items: Col.strings(flat)))
        case .abs:
            var r = args[0].expanded()
            switch r.storage {
            case .int(let v): r.storage = .int(v.map { $0 == Int64.min ? $0 : Swift.abs($0) }); return try wrap(r)
            case .float(let v): r.storage = .float(v.map { Swift.abs($0) })
            default: break
            }
            return r
        case .round, .floor, .ceil, .sqrt:
            var r = args[0].expanded()
            guard case .float(let v) = r.storage else { return r }
            switch f {
            case .floor: r.storage = .float(v.map { $0.rounded(.down) })
            case .ceil: r.storage = .float(v.map { $0.rounded(.up) })
            case .sqrt: r.storage = .float(v.map { $0.squareRoot() })
            default:
                if args.count == 2 {
                    let d = args[1].expanded()
                    guard case .int(let digits) = d.storage else { return r }
                    r.storage = .float((0 ..< n).map { i in
                        let p = Foundation.pow(10.0, Double(digits[i]))
                        return (v[i] * p).rounded(.toNearestOrAwayFromZero) / p
                    })
                    if let dv = d.valid { r.valid = (0 ..< n).map { (r.valid?[$0] ?? true) && dv[$0] } }
                } else {
                    r.storage = .float(v.map { $0.rounded(.toNearestOrAwayFromZero) })
                }
            }
            return try wrap(r)
        case .isNaN:
            let a = args[0].expanded()
            guard case .float(let v) = a.storage else { return Col.nulls(.bool, count: n) }
            return Col(type: .bool, count: n, valid: a.valid, storage: .bool(v.map { $0.isNaN }))
        case .coalesce:
            var pick = [Int](repeating: args.count - 1, count: n)
            for i in 0 ..< n {
                if let k = args.firstIndex(where: { $0.isValid(i) }) { pick[i] = k }
            }
            return try choose(args, pick, type: type, n: n)
        case .nullif:
            let eq = try compare(.eq, args[0], args[1], n: n)
            let hit = K.bools(eq, n)
            let ev = K.validity(eq, n)
            var r = args[0].expanded()
            var valid = K.validity(r, n) ?? [Bool](repeating: true, count: n)
            for i in 0 ..< n where hit[i] && (ev?[i] ?? true) { valid[i] = false }
            r.valid = valid
            return r
        case .concat, .concatOp:
            // `concat()` skips nulls; the `||` operator propagates them.
            var out: [String?] = []
            for i in 0 ..< n {
                if f == .concatOp && !args.allSatisfy({ $0.isValid(i) }) { out.append(nil); continue }
                var s = ""
                for a in args where a.isValid(i) { s += a.string(i) }
                out.append(s)
            }
            return Col.strings(out, type: type)
        case .arrayHas, .arrayHasAny, .arrayHasAll, .arrayLength:
            let l = args[0].expanded()
            guard case .list(let offsets, let items) = l.storage else { return Col.nulls(type, count: n) }
            if f == .arrayLength {
                var out = [UInt64](repeating: 0, count: n)
                for i in 0 ..< n { out[i] = UInt64(offsets[i + 1] - offsets[i]) }
                return Col(type: .uint64, count: n, valid: l.valid, storage: .uint(out))
            }
            let other = args[1].expanded()
            return try boolsOf { i in
                guard l.isValid(i), other.isValid(i) else { return nil }
                let mine = items.sliceRows(offsets[i], offsets[i + 1] - offsets[i])
                let wanted: Col
                if f == .arrayHas {
                    wanted = other.gather([i])
                } else {
                    guard case .list(let o2, let it2) = other.storage else { return nil }
                    wanted = it2.sliceRows(o2[i], o2[i + 1] - o2[i])
                }
                var anyHit = false, allHit = true
                for k in 0 ..< wanted.count {
                    let w = wanted.gather([k])
                    var hit = false
                    if w.isValid(0) && mine.count > 0 {
                        var probe = w
                        probe.scalar = true
                        probe.count = mine.count
                        let eq = try compare(.eq, mine, probe, n: mine.count)
                        let ev = K.validity(eq, mine.count)
                        let b = K.bools(eq, mine.count)
                        hit = (0 ..< mine.count).contains { b[$0] && (ev?[$0] ?? true) }
                    }
                    anyHit = anyHit || hit
                    allHit = allHit && hit
                }
                switch f {
                case .arrayHas, .arrayHasAny: return anyHit
                default: return allHit
                }
            }
        }
    }

    // MARK: - LIKE

    enum LikeToken: Equatable { case any, one, byte(UInt8) }

    static func compileLike(_ pattern: String, escape: Character?) -> [LikeToken] {
        var out: [LikeToken] = []
        var escaping = false
        let esc = escape ?? "\\"
        for ch in pattern {
            if escaping {
                out.append(contentsOf: String(ch).utf8.map { .byte($0) })
                escaping = false
            } else if ch == esc {
                escaping = true
            } else if ch == "%" {
                if out.last != .any { out.append(.any) }
            } else if ch == "_" {
                out.append(.one)
            } else {
                out.append(contentsOf: String(ch).utf8.map { .byte($0) })
            }
        }
        if escaping { out.append(contentsOf: String(esc).utf8.map { .byte($0) }) }
        return out
    }

    /// Matches UTF-8 bytes against a compiled LIKE pattern (`_` is one character).
    static func likeMatch(_ s: UnsafeRawBufferPointer, _ p: [LikeToken]) -> Bool {
        var si = 0, pi = 0
        var starP = -1, starS = 0
        func charLen(_ b: UInt8) -> Int { b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4 }
        while si < s.count {
            if pi < p.count {
                switch p[pi] {
                case .any:
                    starP = pi; starS = si; pi += 1
                    continue
                case .one:
                    si += charLen(s[si]); pi += 1
                    continue
                case .byte(let b) where b == s[si]:
                    si += 1; pi += 1
                    continue
                default: break
                }
            }
            if starP >= 0 {
                pi = starP + 1
                starS += charLen(s[starS])
                si = starS
                continue
            }
            return false
        }
        while pi < p.count, p[pi] == .any { pi += 1 }
        return pi == p.count && si == s.count
    }

    static func like(_ a: Col, _ pattern: Col, negated: Bool, ci: Bool, escape: Character?, n: Int) throws -> Col {
        let valid = K.bothValid(a, pattern, n)
        var out = [Bool](repeating: false, count: n)
        var compiled: [LikeToken]? = nil
        if pattern.scalar && pattern.isValid(0) {
            let p = pattern.string(0)
            compiled = compileLike(ci ? p.lowercased() : p, escape: escape)
        }
        for i in 0 ..< n where a.isValid(i) && pattern.isValid(i) {
            let tokens = compiled ?? compileLike(ci ? pattern.string(i).lowercased() : pattern.string(i), escape: escape)
            let hit: Bool
            if ci {
                var s = a.string(i).lowercased()
                hit = s.withUTF8 { likeMatch(UnsafeRawBufferPointer($0), tokens) }
            } else {
                hit = a.withBytes(i) { likeMatch($0, tokens) }
            }
            out[i] = hit != negated
        }
        return Col(type: .bool, count: n, valid: valid, storage: .bool(out))
    }
}
