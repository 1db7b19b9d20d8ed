import LanceArrow
import LanceCore
import LanceKernels
import LanceProto

/// Decoded leaf values of a 2.1/2.2 page (one entry per visible item).
enum V21Values: Sendable {
    /// Fixed-width values of `width` bytes each.
    case fixed(width: Int, data: [UInt8])
    /// Bit-packed booleans, LSB first from bit 0.
    case bits(data: [UInt8], count: Int)
    /// Variable-width values; `offsets` has count + 1 entries starting at 0.
    case variable(offsets: [Int], data: [UInt8])
    /// A fixed-size list of `dim` items per value, with optional item validity.
    indirect case fsl(dim: Int, validity: [Bool]?, items: V21Values)
    /// A packed struct: one run per member, each `count` long.
    indirect case structure([V21Values], count: Int)

    var count: Int {
        switch self {
        case .fixed(let w, let d): return d.count / w
        case .bits(_, let n): return n
        case .variable(let o, _): return max(o.count - 1, 0)
        case .fsl(let dim, _, let items): return items.count / dim
        case .structure(_, let n): return n
        }
    }

    /// Values `range` as a new value run.
    func slice(_ r: Range<Int>) -> V21Values {
        switch self {
        case .fixed(let w, let d):
            return .fixed(width: w, data: Array(d[r.lowerBound * w ..< r.upperBound * w]))
        case .bits(let d, _):
            var out = [UInt8](repeating: 0, count: (r.count + 7) / 8)
            for (k, i) in r.enumerated() where d[i >> 3] & (1 << (i & 7)) != 0 { out[k >> 3] |= 1 << (k & 7) }
            return .bits(data: out, count: r.count)
        case .variable(let o, let d):
            let base = o[r.lowerBound]
            return .variable(offsets: o[r.lowerBound ... r.upperBound].map { $0 - base },
                             data: Array(d[base ..< o[r.upperBound]]))
        case .fsl(let dim, let v, let items):
            return .fsl(dim: dim, validity: v.map { Array($0[r.lowerBound * dim ..< r.upperBound * dim]) },
                        items: items.slice(r.lowerBound * dim ..< r.upperBound * dim))
        case .structure(let kids, _):
            return .structure(kids.map { $0.slice(r) }, count: r.count)
        }
    }

    /// The values at `indices` (already checked to be in range).
    func gather(_ indices: [Int]) -> V21Values {
        switch self {
        case .fixed(let w, let d):
            // Dictionary decoding gathers every value of a page: copy straight between buffers
            // (appending array slices cost a retain/release pair per value).
            let n = indices.count
            if n == 0 || w == 0 { return .fixed(width: w, data: []) }
            let out = [UInt8](unsafeUninitializedCapacity: n * w) { dst, initialized in
                d.withUnsafeBytes { src in
                    let s = src.baseAddress!, o = UnsafeMutableRawPointer(dst.baseAddress!)
                    switch w {
                    case 1: for (k, i) in indices.enumerated() { o.storeBytes(of: s.load(fromByteOffset: i, as: UInt8.self), toByteOffset: k, as: UInt8.self) }
                    case 2: for (k, i) in indices.enumerated() { o.storeBytes(of: s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self), toByteOffset: 2 * k, as: UInt16.self) }
                    case 4: for (k, i) in indices.enumerated() { o.storeBytes(of: s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self), toByteOffset: 4 * k, as: UInt32.self) }
                    case 8: for (k, i) in indices.enumerated() { o.storeBytes(of: s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self), toByteOffset: 8 * k, as: UInt64.self) }
                    default: for (k, i) in indices.enumerated() { (o + k * w).copyMemory(from: s + i * w, byteCount: w) }
                    }
                }
                initialized = n * w
            }
            return .fixed(width: w, data: out)
        case .bits(let d, _):
            var out = [UInt8](repeating: 0, count: (indices.count + 7) / 8)
            for (k, i) in indices.enumerated() where d[i >> 3] & (1 << (i & 7)) != 0 { out[k >> 3] |= 1 << (k & 7) }
            return .bits(data: out, count: indices.count)
        case .variable(let o, let d):
            var offs = [Int](); offs.reserveCapacity(indices.count + 1); offs.append(0)
            var total = 0
            for i in indices { total += o[i + 1] - o[i]; offs.append(total) }
            if total == 0 { return .variable(offsets: offs, data: []) }
            let out = [UInt8](unsafeUninitializedCapacity: total) { dst, initialized in
                d.withUnsafeBytes { src in
                    var at = 0
                    for i in indices {
                        let len = o[i + 1] - o[i]
                        if len > 0 { (UnsafeMutableRawPointer(dst.baseAddress!) + at).copyMemory(from: src.baseAddress! + o[i], byteCount: len) }
                        at += len
                    }
                }
                initialized = total
            }
            return .variable(offsets: offs, data: out)
        case .fsl(let dim, let v, let items):
            var idx = [Int](); idx.reserveCapacity(indices.count * dim)
            for i in indices { for j in 0 ..< dim { idx.append(i * dim + j) } }
            return .fsl(dim: dim, validity: v.map { vv in idx.map { vv[$0] } }, items: items.gather(idx))
        case .structure(let kids, _):
            return .structure(kids.map { $0.gather(indices) }, count: indices.count)
        }
    }

    /// Concatenates runs of the same shape.
    static func concat(_ parts: [V21Values]) throws -> V21Values {
        guard let first = parts.first else { throw LanceError.corrupt("no values to concatenate") }
        if parts.count == 1 { return first }
        switch first {
        case .fixed(let w, _):
            var out = [UInt8]()
            for p in parts {
                guard case .fixed(let w2, let d) = p, w2 == w else { throw mismatch() }
                out.append(contentsOf: d)
            }
            return .fixed(width: w, data: out)
        case .bits:
            var out = [UInt8](); var n = 0
            for p in parts {
                guard case .bits(let d, let c) = p, d.count >= (c + 7) / 8 else { throw mismatch() }
                out.append(contentsOf: repeatElement(0, count: (n + c + 7) / 8 - out.count))
                if n & 7 == 0 {
                    for j in 0 ..< c / 8 { out[n / 8 + j] = d[j] }
                    for i in (c / 8) * 8 ..< c where d[i >> 3] & (1 << (i & 7)) != 0 { out[(n + i) >> 3] |= 1 << ((n + i) & 7) }
                } else {
                    for i in 0 ..< c where d[i >> 3] & (1 << (i & 7)) != 0 { out[(n + i) >> 3] |= 1 << ((n + i) & 7) }
                }
                n += c
            }
            return .bits(data: out, count: n)
        case .variable:
            var offs = [0]; var out = [UInt8]()
            for p in parts {
                guard case .variable(let o, let d) = p else { throw mismatch() }
                let base = out.count - (o.first ?? 0)
                out.append(contentsOf: d[(o.first ?? 0) ..< (o.last ?? 0)])
                for x in o.dropFirst() { offs.append(x + base) }
            }
            return .variable(offsets: offs, data: out)
        case .fsl(let dim, _, _):
            var items: [V21Values] = []
            var validity: [Bool]? = nil
            var total = 0
            for p in parts {
                guard case .fsl(let d2, let v, let it) = p, d2 == dim else { throw mismatch() }
                if let v {
                    if validity == nil { validity = [Bool](repeating: true, count: total) }
                    validity!.append(contentsOf: v)
                } else if validity != nil {
                    validity!.append(contentsOf: repeatElement(true, count: it.count))
                }
                total += it.count
                items.append(it)
            }
            return .fsl(dim: dim, validity: validity, items: try concat(items))
        case .structure(let kids, _):
            var cols: [[V21Values]] = Array(repeating: [], count: kids.count)
            var n = 0
            for p in parts {
                guard case .structure(let k2, let c) = p, k2.count == kids.count else { throw mismatch() }
                for (i, k) in k2.enumerated() { cols[i].append(k) }
                n += c
            }
            return .structure(try cols.map { try concat($0) }, count: n)
        }
    }

    private static func mismatch() -> LanceError { LanceError.corrupt("pages of one column decode to different value shapes") }

    /// `count` placeholder values shaped like `template` (for null items).
    static func zeros(like kind: V21ValueKind, count: Int) -> V21Values {
        switch kind {
        case .fixed(let w): return .fixed(width: w, data: [UInt8](repeating: 0, count: w * count))
        case .bits: return .bits(data: [UInt8](repeating: 0, count: (count + 7) / 8), count: count)
        case .variable: return .variable(offsets: [Int](repeating: 0, count: count + 1), data: [])
        case .fsl(let dim, let inner): return .fsl(dim: dim, validity: nil, items: zeros(like: inner, count: count * dim))
        case .packed(let kinds): return .structure(kinds.map { zeros(like: $0, count: count) }, count: count)
        }
    }

    /// `count` copies of value 0 of `self`, refusing implausible expansions.
    func repeatedChecked(_ count: Int) throws -> V21Values {
        guard count <= 1 << 28 else { throw LanceError.corrupt("constant page expands to \(count) values") }
        return repeated(count)
    }

    /// `count` copies of value 0 of `self`.
    func repeated(_ count: Int) -> V21Values {
        gather([Int](repeating: 0, count: count))
    }
}

/// The value shape a leaf type decodes to.
indirect enum V21ValueKind: Sendable, Equatable {
    case fixed(Int)
    case bits
    case variable
    case fsl(Int, V21ValueKind)
    case packed([V21ValueKind])

    /// The shape of a leaf field (a packed struct is a leaf).
    static func of(_ field: LanceField) throws -> V21ValueKind {
        if case .struct(let members) = field.type, V21ValueKind.isPacked(field) {
            return .packed(try members.map { try of($0.type) })
        }
        return try of(field.type)
    }

    /// Whether a struct field is stored packed (one column, row-major) per its metadata.
    static func isPacked(_ field: LanceField) -> Bool {
        guard case .struct = field.type else { return false }
        return ["packed", "lance-encoding:packed"].contains { field.metadata[$0]?.lowercased() == "true" }
    }

    static func of(_ type: DataType) throws -> V21ValueKind {
        switch type {
        case .bool: return .bits
        case .null: return .fixed(1)
        case .utf8, .largeUtf8, .binary, .largeBinary: return .variable
        case .fixedSizeList(let f, let n):
            let inner = try of(f.type)
            if case .fsl = inner { return .fsl(n, inner) }
            if case .variable = inner { throw LanceError.unsupported("fixed_size_list of variable-width items is not supported in 2.1 files") }
            return .fsl(n, inner)
        case .dictionary(_, let v): return try of(v)
        default:
            if let w = type.byteWidth { return .fixed(w) }
            throw LanceError.unsupported("type \(type) is not a leaf type of a 2.1 file")
        }
    }

    /// Bits of one value when flattened (fixed-width shapes only).
    var flatBits: Int? {
        switch self {
        case .fixed(let w): return w * 8
        case .bits: return 1
        case .variable: return nil
        case .fsl(let n, let inner): return inner.flatBits.map { $0 * n }
        case .packed(let kinds):
            var t = 0
            for k in kinds { guard let b = k.flatBits, b % 8 == 0 else { return nil }; t += b }
            return t
        }
    }
}

// MARK: - Checked byte access

@inline(__always)
func rdU16(_ b: Buffer, _ off: Int, _ what: @autoclosure () -> String) throws -> UInt16 {
    guard off >= 0, off + 2 <= b.count else { throw LanceError.corrupt("\(what()) truncated at byte \(off) of \(b.count)") }
    return b.load(UInt16.self, byteOffset: off)
}

@inline(__always)
func rdU32(_ b: Buffer, _ off: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
    guard off >= 0, off + 4 <= b.count else { throw LanceError.corrupt("\(what()) truncated at byte \(off) of \(b.count)") }
    return b.load(UInt32.self, byteOffset: off)
}

@inline(__always)
func rdU64(_ b: Buffer, _ off: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
    guard off >= 0, off + 8 <= b.count else { throw LanceError.corrupt("\(what()) truncated at byte \(off) of \(b.count)") }
    return b.load(UInt64.self, byteOffset: off)
}

func checkedSlice(_ b: Buffer, _ off: Int, _ len: Int, _ what: @autoclosure () -> String) throws -> Buffer {
    guard off >= 0, len >= 0, off <= b.count, len <= b.count - off else {
        throw LanceError.corrupt("\(what()): bytes \(off)..<\(off &+ len) outside a buffer of \(b.count)")
    }
    return b.slice(off, len)
}

/// Largest number of values a declared count may claim (guards allocations).
let v21MaxValues = 1 << 34

func checkCount(_ n: UInt64, _ what: String) throws -> Int {
    guard n <= UInt64(v21MaxValues) else { throw LanceError.corrupt("\(what) \(n) is implausibly large") }
    return Int(n)
}

// MARK: - General compression

enum V21General {
    /// Decompresses a buffer framed as Lance's general compression writes it.
    static func decompress(_ b: Buffer, scheme: Lance_Encodings21_CompressionScheme, limit: Int) throws -> [UInt8] {
        switch scheme {
        case .compressionAlgorithmZstd:
            if b.count == 0 { return [] }
            let isFrame = b.count >= 4 && b.load(UInt32.self, byteOffset: 0) == 0xFD2F_B528
            let body: Buffer
            var declared: Int? = nil
            if isFrame {
                body = b
            } else {
                let n = try rdU64(b, 0, "zstd length prefix")
                guard n <= UInt64(limit) else { throw LanceError.corrupt("zstd buffer declares \(n) bytes, over the limit \(limit)") }
                declared = Int(n)
                body = b.slice(8, b.count - 8)
            }
            let lim = declared ?? limit
            let res = body.withUnsafeBytes { raw in codecResult { () throws(CodecError) in try Zstd.decompress(raw, limit: lim) } }
            let out: [UInt8]
            switch res {
            case .success(let o): out = o
            case .failure(let error): throw codecError(error, "zstd data")
            }
            if let declared, out.count != declared {
                throw LanceError.corrupt("zstd buffer decoded to \(out.count) bytes, declared \(declared)")
            }
            return out
        case .compressionAlgorithmLz4:
            let n = Int(try rdU32(b, 0, "lz4 length prefix"))
            guard n <= limit else { throw LanceError.corrupt("lz4 buffer declares \(n) bytes, over the limit \(limit)") }
            let res = b.slice(4, b.count - 4).withUnsafeBytes { raw in
                codecResult { () throws(CodecError) in try LZ4.decompressBlock(raw, decompressedSize: n) }
            }
            switch res {
            case .success(let o):
                guard o.count == n else { throw LanceError.corrupt("lz4 buffer decoded to \(o.count) bytes, declared \(n)") }
                return o
            case .failure(let error): throw codecError(error, "lz4 data")
            }
        default:
            throw LanceError.unsupported("general compression scheme \(scheme) is not supported")
        }
    }
}

// MARK: - FastLanes helpers

enum V21Bitpack {
    /// Unpacks `blocks` consecutive 1024-value FastLanes blocks of `bitWidth` from `packed` into `wordBytes`-wide words.
    static func unpackBlock(_ packed: Buffer, bitWidth: Int, wordBytes: Int, into out: inout [UInt8], outOffset: Int) throws {
        guard bitWidth >= 0, bitWidth <= wordBytes * 8 else {
            throw LanceError.corrupt("bit width \(bitWidth) exceeds the \(wordBytes * 8)-bit type")
        }
        guard packed.count >= bitWidth * 128 else {
            throw LanceError.corrupt("bit-packed block of width \(bitWidth) needs \(bitWidth * 128) bytes, has \(packed.count)")
        }
        if bitWidth == 0 { return }   // zero-filled already
        let r: Result<Void, CodecError> = packed.withUnsafeBytes { (whole: UnsafeRawBufferPointer) in
            let src = UnsafeRawBufferPointer(rebasing: whole[0 ..< bitWidth * 128])
            return out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
                let base = dst.baseAddress! + outOffset
                return codecResult { () throws(CodecError) in
                    switch wordBytes {
                    case 1: try FastLanes.unpack(src, bitWidth: bitWidth, into: UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: 1024))
                    case 2: try FastLanes.unpack(src, bitWidth: bitWidth, into: UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: 1024))
                    case 4: try FastLanes.unpack(src, bitWidth: bitWidth, into: UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: UInt32.self), count: 1024))
                    default: try FastLanes.unpack(src, bitWidth: bitWidth, into: UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: UInt64.self), count: 1024))
                    }
                }
            }
        }
        if case .failure(let error) = r { throw codecError(error, "bit-packed data") }
    }

    /// Inline bit-packing: blocks of [bit width as one word][packed 1024 values].
    static func inline(_ b: Buffer, wordBytes: Int, count: Int) throws -> [UInt8] {
        guard [1, 2, 4, 8].contains(wordBytes) else { throw LanceError.unsupported("inline bit-packing of \(wordBytes * 8)-bit values") }
        let blocks = (count + 1023) / 1024
        guard b.count >= blocks * wordBytes else {
            throw LanceError.corrupt("inline bit-packed data of \(b.count) bytes cannot hold \(count) values")
        }
        var out = [UInt8](repeating: 0, count: blocks * 1024 * wordBytes)
        var pos = 0
        for k in 0 ..< blocks {
            guard pos + wordBytes <= b.count else { throw LanceError.corrupt("inline bit-packed block \(k) is truncated") }
            var w = 0
            for j in 0 ..< wordBytes { w |= Int(b[pos + j]) << (8 * j) }
            pos += wordBytes
            guard w <= wordBytes * 8 else { throw LanceError.corrupt("inline bit-packed block \(k) declares bit width \(w)") }
            let size = w * 128
            let packed = try checkedSlice(b, pos, size, "inline bit-packed block \(k)")
            try unpackBlock(packed, bitWidth: w, wordBytes: wordBytes, into: &out, outOffset: k * 1024 * wordBytes)
            pos += size
        }
        out.removeLast(out.count - count * wordBytes)
        return out
    }

    /// Out-of-line bit-packing at a constant width; the tail is either a padded block or raw values.
    static func outOfLine(_ b: Buffer, bitWidth: Int, wordBytes: Int, count: Int) throws -> [UInt8] {
        guard [1, 2, 4, 8].contains(wordBytes) else { throw LanceError.unsupported("out-of-line bit-packing of \(wordBytes * 8)-bit values") }
        guard bitWidth >= 0, bitWidth <= wordBytes * 8 else { throw LanceError.corrupt("bit width \(bitWidth) exceeds the \(wordBytes * 8)-bit type") }
        let blockBytes = bitWidth * 128
        let whole = count / 1024
        let tail = count % 1024
        guard b.count >= whole * blockBytes + min(tail * wordBytes, blockBytes), bitWidth > 0 || count <= 1 << 24 else {
            throw LanceError.corrupt("bit-packed data of \(b.count) bytes cannot hold \(count) values of \(bitWidth) bits")
        }
        var out = [UInt8](repeating: 0, count: (whole + (tail > 0 ? 1 : 0)) * 1024 * wordBytes)
        for k in 0 ..< whole {
            try unpackBlock(try checkedSlice(b, k * blockBytes, blockBytes, "bit-packed block \(k)"),
                            bitWidth: bitWidth, wordBytes: wordBytes, into: &out, outOffset: k * 1024 * wordBytes)
        }
        if tail > 0 {
            let start = whole * blockBytes
            if b.count - start == tail * wordBytes {
                b.slice(start, tail * wordBytes).withUnsafeBytes { raw in
                    for j in 0 ..< raw.count { out[whole * 1024 * wordBytes + j] = raw[j] }
                }
            } else {
                try unpackBlock(try checkedSlice(b, start, blockBytes, "bit-packed tail block"),
                                bitWidth: bitWidth, wordBytes: wordBytes, into: &out, outOffset: whole * 1024 * wordBytes)
            }
        }
        out.removeLast(out.count - count * wordBytes)
        return out
    }
}

/// Runs a codec call and captures its typed error.
@inline(__always)
func codecResult<R>(_ body: () throws(CodecError) -> R) -> Result<R, CodecError> {
    do { return .success(try body()) } catch { return .failure(error) }
}

/// A codec failure as a `LanceError`: unsupported features stay `.unsupported`, everything else is corrupt data.
func codecError(_ e: CodecError, _ what: String) -> LanceError {
    LanceError(e.kind == .unsupported ? .unsupported : .corruptFile, "\(what) does not decode: \(e.message)", underlying: e)
}
