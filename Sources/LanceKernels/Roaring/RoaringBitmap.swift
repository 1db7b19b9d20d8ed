/// A set of 32-bit integers with the portable Roaring serialization (as CRoaring and pyroaring write it).
///
/// Values are grouped by their high 16 bits into containers. In memory a container is a sorted array of
/// low halves (up to 4096 values), a 65536-bit bitmap, or (as read from serialized input) a list of runs,
/// so memory stays proportional to the input. `serialized()` writes the no-run format (cookie 12346);
/// `serialized(runContainers: true)` uses run containers where they are smaller.
public struct RoaringBitmap: Sendable, Equatable {
    struct Run: Sendable, Equatable {
        var start: UInt16
        var lengthMinus1: UInt16
        var end: Int { Int(start) + Int(lengthMinus1) }  // inclusive
    }

    enum Container: Sendable, Equatable {
        case array([UInt16])
        /// 1024 words and the number of set bits.
        case bitmap([UInt64], Int)
        /// Sorted, non-overlapping runs and the number of values they cover.
        case runs([Run], Int)

        var cardinality: Int {
            switch self {
            case .array(let a): return a.count
            case .bitmap(_, let c): return c
            case .runs(_, let c): return c
            }
        }

        func contains(_ low: UInt16) -> Bool {
            switch self {
            case .array(let a): return RoaringBitmap.lowerBound(a, low).found
            case .bitmap(let w, _): return w[Int(low >> 6)] >> UInt64(low & 63) & 1 == 1
            case .runs(let r, _):
                // Last run starting at or before `low`.
                var lo = 0, hi = r.count
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if r[mid].start <= low { lo = mid + 1 } else { hi = mid }
                }
                return lo > 0 && Int(low) <= r[lo - 1].end
            }
        }

        /// The 65536-bit bitmap of the container.
        var words: [UInt64] {
            var w = [UInt64](repeating: 0, count: 1024)
            switch self {
            case .array(let a): for x in a { w[Int(x >> 6)] |= 1 << UInt64(x & 63) }
            case .bitmap(let b, _): return b
            case .runs(let r, _): for run in r { RoaringBitmap.setRange(&w, Int(run.start), run.end + 1) }
            }
            return w
        }

        /// The same set as an array or bitmap container.
        var expanded: Container {
            if case .runs = self { return RoaringBitmap.normalized(words, cardinality) }
            return self
        }
    }

    public static func == (a: RoaringBitmap, b: RoaringBitmap) -> Bool {
        guard a.keys == b.keys else { return false }
        for (x, y) in zip(a.containers, b.containers) {
            if x == y { continue }
            if x.cardinality != y.cardinality || x.words != y.words { return false }
        }
        return true
    }

    static let arrayLimit = 4096
    static let cookieNoRuns: UInt32 = 12346
    static let cookieRuns: UInt32 = 12347
    static let noOffsetThreshold = 4

    private(set) var keys: [UInt16] = []
    private(set) var containers: [Container] = []

    public init() {}

    public init<S: Sequence>(_ values: S) where S.Element == UInt32 {
        for v in values { insert(v) }
    }

    public var count: Int { containers.reduce(0) { $0 + $1.cardinality } }
    public var isEmpty: Bool { containers.isEmpty }

    public func contains(_ v: UInt32) -> Bool {
        let (i, found) = Self.lowerBound(keys, UInt16(v >> 16))
        return found && containers[i].contains(UInt16(truncatingIfNeeded: v))
    }

    public mutating func insert(_ v: UInt32) {
        let key = UInt16(v >> 16), low = UInt16(truncatingIfNeeded: v)
        let (i, found) = Self.lowerBound(keys, key)
        if !found {
            keys.insert(key, at: i)
            containers.insert(.array([low]), at: i)
            return
        }
        if case .runs = containers[i] {
            if containers[i].contains(low) { return }
            containers[i] = containers[i].expanded
        }
        switch containers[i] {
        case .runs: preconditionFailure("expanded above")
        case .array(var a):
            let (j, present) = Self.lowerBound(a, low)
            if present { return }
            containers[i] = .array([])  // drop the reference so the insert below does not copy
            a.insert(low, at: j)
            if a.count > Self.arrayLimit {
                var words = [UInt64](repeating: 0, count: 1024)
                for x in a { words[Int(x >> 6)] |= 1 << UInt64(x & 63) }
                containers[i] = .bitmap(words, a.count)
            } else {
                containers[i] = .array(a)
            }
        case .bitmap(var w, let c):
            let bit: UInt64 = 1 << UInt64(low & 63)
            if w[Int(low >> 6)] & bit != 0 { return }
            containers[i] = .array([])
            w[Int(low >> 6)] |= bit
            containers[i] = .bitmap(w, c + 1)
        }
    }

    /// The values in ascending order.
    public var sortedValues: [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(count)
        for (k, c) in zip(keys, containers) {
            let high = UInt32(k) << 16
            switch c {
            case .array(let a): for x in a { out.append(high | UInt32(x)) }
            case .runs(let r, _): for run in r { for x in Int(run.start)...run.end { out.append(high | UInt32(x)) } }
            case .bitmap(let w, _):
                for (wi, word) in w.enumerated() {
                    var bits = word
                    while bits != 0 {
                        out.append(high | UInt32(wi * 64 + bits.trailingZeroBitCount))
                        bits &= bits - 1
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    static func lowerBound(_ a: [UInt16], _ x: UInt16) -> (index: Int, found: Bool) {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return (lo, lo < a.count && a[lo] == x)
    }

    // MARK: - Serialization

    /// Reads the portable serialization. Trailing bytes after the last container are ignored.
    public init(serialized raw: UnsafeRawBufferPointer) throws(CodecError) {
        var r = Reader(raw: raw)
        let cookie = try r.u32()
        let size: Int
        var isRun: [Bool]
        if cookie & 0xFFFF == Self.cookieRuns {
            size = Int(cookie >> 16) + 1
            let runBytes = try r.bytes((size + 7) / 8)
            isRun = (0..<size).map { runBytes[$0 / 8] >> UInt8($0 % 8) & 1 == 1 }
        } else if cookie == Self.cookieNoRuns {
            size = Int(try r.u32())
            guard size <= 65536 else { throw CodecError(.corrupt, "roaring bitmap with \(size) containers") }
            isRun = [Bool](repeating: false, count: size)
        } else {
            throw CodecError(.corrupt, "unknown roaring cookie \(cookie)")
        }
        // Key and cardinality pairs; check the whole header is there before allocating per container.
        guard r.remaining >= 4 * size else { throw CodecError(.truncated, "roaring header cut off", offset: r.pos) }
        var cards: [Int] = []
        keys.reserveCapacity(size)
        cards.reserveCapacity(size)
        for i in 0..<size {
            let key = try r.u16()
            if i > 0 && key <= keys[i - 1] { throw CodecError(.corrupt, "roaring keys not increasing", offset: r.pos - 2) }
            keys.append(key)
            cards.append(Int(try r.u16()) + 1)
        }
        if cookie == Self.cookieNoRuns || size >= Self.noOffsetThreshold {
            _ = try r.bytes(4 * size)  // container offsets; containers are read in order instead
        }
        containers.reserveCapacity(size)
        for i in 0..<size {
            let card = cards[i]
            if isRun[i] {
                let nRuns = Int(try r.u16())
                guard r.remaining >= 4 * nRuns else { throw CodecError(.truncated, "roaring run container cut off", offset: r.pos) }
                var runs: [Run] = []
                runs.reserveCapacity(nRuns)
                var total = 0
                var next = 0  // first value the next run may start at
                for _ in 0..<nRuns {
                    let start = Int(try r.u16()), len = Int(try r.u16()) + 1
                    guard start >= next, start + len <= 65536 else {
                        throw CodecError(.corrupt, "roaring runs overlap or overflow", offset: r.pos - 4)
                    }
                    runs.append(Run(start: UInt16(start), lengthMinus1: UInt16(len - 1)))
                    total += len
                    next = start + len
                }
                guard total == card, total > 0 else { throw CodecError(.corrupt, "roaring run container cardinality mismatch", offset: r.pos) }
                containers.append(.runs(runs, total))
            } else if card <= Self.arrayLimit {
                let bytes = try r.bytes(2 * card)
                var a = [UInt16](repeating: 0, count: card)
                for j in 0..<card {
                    a[j] = UInt16(bytes[2 * j]) | UInt16(bytes[2 * j + 1]) << 8
                    if j > 0 && a[j] <= a[j - 1] {
                        throw CodecError(.corrupt, "roaring array container not increasing", offset: r.pos - 2 * card + 2 * j)
                    }
                }
                containers.append(.array(a))
            } else {
                let bytes = try r.bytes(8192)
                var words = [UInt64](repeating: 0, count: 1024)
                var total = 0
                bytes.withUnsafeBytes { p in
                    for j in 0..<1024 {
                        words[j] = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self))
                        total += words[j].nonzeroBitCount
                    }
                }
                guard total == card else { throw CodecError(.corrupt, "roaring bitmap container cardinality mismatch", offset: r.pos) }
                containers.append(Self.normalized(words, total))
            }
        }
    }

    /// Array convenience.
    public init(serialized bytes: [UInt8]) throws(CodecError) {
        var result: Result<RoaringBitmap, CodecError> = .success(RoaringBitmap())
        bytes.withUnsafeBytes { raw in
            do throws(CodecError) { result = .success(try RoaringBitmap(serialized: raw)) } catch { result = .failure(error) }
        }
        self = try result.get()
    }

    /// The portable serialization (no run containers, cookie 12346), readable by CRoaring/pyroaring.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: UInt16) { out.append(UInt8(truncatingIfNeeded: v)); out.append(UInt8(v >> 8)) }
        func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        u32(Self.cookieNoRuns)
        u32(UInt32(keys.count))
        for (k, c) in zip(keys, containers) {
            u16(k)
            u16(UInt16(c.cardinality - 1))
        }
        var offset = 8 + 8 * keys.count
        for c in containers {
            u32(UInt32(offset))
            offset += c.cardinality <= Self.arrayLimit ? 2 * c.cardinality : 8192
        }
        out.reserveCapacity(offset)
        for c in containers {
            switch c.expanded {
            case .runs: preconditionFailure("expanded")
            case .array(let a): for x in a { u16(x) }
            case .bitmap(let w, let card):
                if card <= Self.arrayLimit {
                    // Not produced by insert, but keep the format rule (card <= 4096 means array).
                    for (wi, word) in w.enumerated() {
                        var bits = word
                        while bits != 0 { u16(UInt16(wi * 64 + bits.trailingZeroBitCount)); bits &= bits - 1 }
                    }
                } else {
                    for word in w { for s in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(s))) } }
                }
            }
        }
        return out
    }

    /// The portable serialization; with `runContainers`, containers that are smaller as runs are written as
    /// run containers (cookie 12347), choosing like CRoaring's `runOptimize`.
    public func serialized(runContainers: Bool) -> [UInt8] {
        guard runContainers else { return serialized() }
        var runsPerContainer: [[(start: UInt16, lengthMinus1: UInt16)]?] = []
        for c in containers {
            let runs = Self.runs(of: c)
            let card = c.cardinality
            // Sizes as CRoaring compares them (the array size includes a 2-byte count).
            let asRuns = 2 + 4 * runs.count
            let asOther = card <= Self.arrayLimit ? 2 * card + 2 : 8192
            runsPerContainer.append(asRuns < asOther ? runs : nil)
        }
        guard runsPerContainer.contains(where: { $0 != nil }) else { return serialized() }
        let size = keys.count
        var out: [UInt8] = []
        func u16(_ v: UInt16) { out.append(UInt8(truncatingIfNeeded: v)); out.append(UInt8(v >> 8)) }
        func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        u32(Self.cookieRuns | UInt32(size - 1) << 16)
        var flags = [UInt8](repeating: 0, count: (size + 7) / 8)
        for (i, r) in runsPerContainer.enumerated() where r != nil { flags[i / 8] |= 1 << UInt8(i % 8) }
        out += flags
        for (k, c) in zip(keys, containers) {
            u16(k)
            u16(UInt16(c.cardinality - 1))
        }
        if size >= Self.noOffsetThreshold {
            var offset = out.count + 4 * size
            for (c, r) in zip(containers, runsPerContainer) {
                u32(UInt32(offset))
                if let r { offset += 2 + 4 * r.count } else { offset += c.cardinality <= Self.arrayLimit ? 2 * c.cardinality : 8192 }
            }
        }
        for (c, r) in zip(containers, runsPerContainer) {
            if let r {
                u16(UInt16(r.count))
                for run in r { u16(run.start); u16(run.lengthMinus1) }
                continue
            }
            switch c.expanded {
            case .runs: preconditionFailure("expanded")
            case .array(let a): for x in a { u16(x) }
            case .bitmap(let w, _): for word in w { for s in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(s))) } }
            }
        }
        return out
    }

    static func runs(of c: Container) -> [(start: UInt16, lengthMinus1: UInt16)] {
        if case .runs(let r, _) = c { return r.map { ($0.start, $0.lengthMinus1) } }
        var runs: [(start: UInt16, lengthMinus1: UInt16)] = []
        var start = -1, last = -2
        func visit(_ v: Int) {
            if v == last + 1 {
                last = v
            } else {
                if start >= 0 { runs.append((UInt16(start), UInt16(last - start))) }
                start = v
                last = v
            }
        }
        switch c {
        case .runs: break
        case .array(let a): for x in a { visit(Int(x)) }
        case .bitmap(let w, _):
            for (wi, word) in w.enumerated() {
                var bits = word
                while bits != 0 { visit(wi * 64 + bits.trailingZeroBitCount); bits &= bits - 1 }
            }
        }
        if start >= 0 { runs.append((UInt16(start), UInt16(last - start))) }
        return runs
    }

    // MARK: - Helpers

    static func setRange(_ words: inout [UInt64], _ start: Int, _ end: Int) {
        var i = start
        while i < end {
            let w = i >> 6, b = i & 63
            let n = min(64 - b, end - i)
            let mask: UInt64 = n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(b)
            words[w] |= mask
            i += n
        }
    }

    static func normalized(_ words: [UInt64], _ card: Int) -> Container {
        if card > arrayLimit { return .bitmap(words, card) }
        var a: [UInt16] = []
        a.reserveCapacity(card)
        for (wi, word) in words.enumerated() {
            var bits = word
            while bits != 0 { a.append(UInt16(wi * 64 + bits.trailingZeroBitCount)); bits &= bits - 1 }
        }
        return .array(a)
    }

    struct Reader {
        let raw: UnsafeRawBufferPointer
        var pos = 0
        var remaining: Int { raw.count - pos }

        mutating func u16() throws(CodecError) -> UInt16 {
            guard remaining >= 2 else { throw CodecError(.truncated, "roaring input ends early", offset: pos) }
            defer { pos += 2 }
            return UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: pos, as: UInt16.self))
        }

        mutating func u32() throws(CodecError) -> UInt32 {
            guard remaining >= 4 else { throw CodecError(.truncated, "roaring input ends early", offset: pos) }
            defer { pos += 4 }
            return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: pos, as: UInt32.self))
        }

        mutating func bytes(_ n: Int) throws(CodecError) -> [UInt8] {
            guard n >= 0, remaining >= n else { throw CodecError(.truncated, "roaring input ends early", offset: pos) }
            defer { pos += n }
            return [UInt8](UnsafeRawBufferPointer(rebasing: raw[pos..<(pos + n)]))
        }
    }
}
