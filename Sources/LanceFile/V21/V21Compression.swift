import LanceArrow
import LanceCore
import LanceKernels
import LanceProto

typealias CEnc = Lance_Encodings21_CompressiveEncoding

/// Decoders of the compressive encodings (`CompressiveEncoding`) in the three contexts Lance uses
/// them: inside a mini-block chunk, over a whole buffer ("block"), and per value in full-zip pages.
enum V21Compression {
    static func name(_ e: CEnc) -> String {
        switch e.compression {
        case .flat?: return "flat"
        case .variable?: return "variable"
        case .constant?: return "constant"
        case .outOfLineBitpacking?: return "out_of_line_bitpacking"
        case .inlineBitpacking?: return "inline_bitpacking"
        case .fsst?: return "fsst"
        case .dictionary?: return "dictionary"
        case .rle?: return "rle"
        case .byteStreamSplit?: return "byte_stream_split"
        case .general?: return "general"
        case .fixedSizeList?: return "fixed_size_list"
        case .packedStruct?: return "packed_struct"
        case .variablePackedStruct?: return "variable_packed_struct"
        case nil: return "(missing)"
        }
    }

    static func unsupported(_ e: CEnc, _ context: String) -> LanceError {
        LanceError.unsupported("compressive encoding `\(name(e))` is not supported in a \(context)")
    }

    /// Turns a flat run of fixed-width data into the shape `kind` expects.
    static func shape(_ data: [UInt8], bits: Int, count: Int, kind: V21ValueKind) throws -> V21Values {
        if bits == 1 {
            guard data.count >= (count + 7) / 8 else { throw LanceError.corrupt("bit buffer of \(data.count) bytes is too short for \(count) values") }
            switch kind {
            case .bits: return .bits(data: data, count: count)
            case .fsl(let n, .bits):
                return .fsl(dim: n, validity: nil, items: .bits(data: data, count: count * n))
            default: throw LanceError.corrupt("1-bit values stored for a column of shape \(kind)")
            }
        }
        guard bits % 8 == 0, bits > 0 else { throw LanceError.unsupported("flat values of \(bits) bits are not supported") }
        let w = bits / 8
        guard data.count >= w * count else {
            throw LanceError.corrupt("value buffer of \(data.count) bytes is too short for \(count) values of \(w) bytes")
        }
        let d = data.count == w * count ? data : Array(data[0 ..< w * count])
        switch kind {
        case .fixed(let kw):
            guard kw == w else { throw LanceError.corrupt("values are \(w) bytes wide but the column type has \(kw)") }
            return .fixed(width: w, data: d)
        case .fsl(let n, let inner):
            guard let ib = inner.flatBits, ib * n == bits else {
                throw LanceError.corrupt("values are \(bits) bits wide, not a fixed_size_list of \(n) items")
            }
            let items = try shape(d, bits: ib, count: count * n, kind: inner)
            return .fsl(dim: n, validity: nil, items: items)
        case .packed(let kinds):
            guard kind.flatBits == bits else { throw LanceError.corrupt("\(bits)-bit values do not match the packed struct \(kind)") }
            return try unpack(d, rowBytes: w, count: count, kinds: kinds, widths: kinds.map { $0.flatBits! })
        case .bits:
            throw LanceError.corrupt("\(bits)-bit values stored for a bool column")
        case .variable:
            throw LanceError.corrupt("fixed-width values stored for a variable-width column")
        }
    }

    static func bytes(_ b: Buffer) -> [UInt8] { b.bytes }

    /// Splits row-major packed struct rows into one run per member.
    static func unpack(_ d: [UInt8], rowBytes: Int, count: Int, kinds: [V21ValueKind], widths: [Int]) throws -> V21Values {
        guard widths.reduce(0, +) == rowBytes * 8, widths.allSatisfy({ $0 % 8 == 0 && $0 > 0 }), d.count >= rowBytes * count else {
            throw LanceError.corrupt("packed struct rows of \(rowBytes) bytes do not hold members of \(widths) bits")
        }
        var kids: [V21Values] = []
        var at = 0
        for (k, w) in zip(kinds, widths) {
            let wb = w / 8
            var col = [UInt8](); col.reserveCapacity(wb * count)
            for r in 0 ..< count { col.append(contentsOf: d[r * rowBytes + at ..< r * rowBytes + at + wb]) }
            kids.append(try shape(col, bits: w, count: count, kind: k))
            at += wb
        }
        return .structure(kids, count: count)
    }

    static func offsets(_ b: Buffer, bits: Int, count: Int, what: String) throws -> [Int] {
        var out = [Int](); out.reserveCapacity(count)
        if bits == 32 {
            guard b.count >= 4 * count else { throw LanceError.corrupt("\(what): \(count) offsets need \(4 * count) bytes, have \(b.count)") }
            b.withUnsafeBytes { raw in for i in 0 ..< count { out.append(Int(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) } }
        } else if bits == 64 {
            guard b.count >= 8 * count else { throw LanceError.corrupt("\(what): \(count) offsets need \(8 * count) bytes, have \(b.count)") }
            for i in 0 ..< count {
                let v = b.load(UInt64.self, byteOffset: 8 * i)
                guard v <= UInt64(Int.max) else { throw LanceError.corrupt("\(what): offset \(v) is too large") }
                out.append(Int(v))
            }
        } else {
            throw LanceError.unsupported("\(bits)-bit offsets")
        }
        return out
    }

    /// Builds variable values from absolute offsets into `data`, checking they are monotonic and in range.
    static func variable(offsets o: [Int], data: Buffer, what: String) throws -> V21Values {
        guard let first = o.first, let last = o.last else { throw LanceError.corrupt("\(what): no offsets") }
        var prev = first
        for x in o { guard x >= prev else { throw LanceError.corrupt("\(what): offsets decrease") }; prev = x }
        guard first >= 0, last <= data.count else {
            throw LanceError.corrupt("\(what): offsets \(first)..<\(last) outside \(data.count) bytes")
        }
        return .variable(offsets: o.map { $0 - first }, data: data.slice(first, last - first).bytes)
    }

    /// The symbol table of an FSST encoding, parsed.
    static func fsstTable(_ bytes: [UInt8]) throws -> FSST.SymbolTable {
        let res = bytes.withUnsafeBytes { raw in codecResult { () throws(CodecError) in try FSST.SymbolTable(serialized: raw) } }
        switch res {
        case .success(let t): return t
        case .failure(let error): throw codecError(error, "fsst symbol table")
        }
    }

    /// FSST strings expanded with an already parsed table.
    static func fsst(_ v: V21Values, table: FSST.SymbolTable) throws -> V21Values {
        guard case .variable(let o, let d) = v else { throw LanceError.corrupt("fsst over non-variable values") }
        let res = d.withUnsafeBytes { raw in
            codecResult { () throws(CodecError) in try FSST.decompress(table: table, compressed: raw, offsets: o) }
        }
        switch res {
        case .success(let r):
            guard r.offsets.count == o.count else { throw LanceError.corrupt("fsst returned \(r.offsets.count - 1) strings, expected \(o.count - 1)") }
            return .variable(offsets: r.offsets, data: r.bytes)
        case .failure(let error):
            throw codecError(error, "fsst data")
        }
    }

    static func fsst(_ v: V21Values, symbolTable: [UInt8]) throws -> V21Values {
        guard case .variable(let o, let d) = v else { throw LanceError.corrupt("fsst over non-variable values") }
        let res = symbolTable.withUnsafeBytes { st in
            d.withUnsafeBytes { raw in
                codecResult { () throws(CodecError) in try FSST.decompress(symbolTable: st, compressed: raw, offsets: o) }
            }
        }
        switch res {
        case .success(let r):
            guard r.offsets.count == o.count else { throw LanceError.corrupt("fsst returned \(r.offsets.count - 1) strings, expected \(o.count - 1)") }
            return .variable(offsets: r.offsets, data: r.bytes)
        case .failure(let error):
            throw codecError(error, "fsst data")
        }
    }

    // MARK: Mini-block context

    /// Number of buffers a mini-block chunk holds for `e`.
    static func miniBlockDecode(_ e: CEnc, _ bufs: [Buffer], count: Int, kind: V21ValueKind) throws -> V21Values {
        switch e.compression {
        case .flat(let f)?:
            guard bufs.count == 1 else { throw LanceError.corrupt("flat mini-block has \(bufs.count) buffers") }
            var data = bufs[0]
            if f.hasData { data = Buffer(try V21General.decompress(data, scheme: f.data.scheme, limit: 1 << 28)) }
            return try shape(data.bytes, bits: Int(f.bitsPerValue), count: count, kind: kind)
        case .inlineBitpacking(let ib)?:
            guard bufs.count == 1 else { throw LanceError.corrupt("bit-packed mini-block has \(bufs.count) buffers") }
            let bits = Int(ib.uncompressedBitsPerValue)
            var data = bufs[0]
            if ib.hasValues { data = Buffer(try V21General.decompress(data, scheme: ib.values.scheme, limit: 1 << 28)) }
            let raw = try V21Bitpack.inline(data, wordBytes: bits / 8, count: count)
            return try shape(raw, bits: bits, count: count, kind: kind)
        case .variable(let v)?:
            guard bufs.count == 1 else { throw LanceError.corrupt("variable mini-block has \(bufs.count) buffers") }
            guard case .flat(let of)? = v.offsets.compression else { throw LanceError.unsupported("variable offsets must be flat") }
            let o = try offsets(bufs[0], bits: Int(of.bitsPerValue), count: count + 1, what: "variable mini-block")
            return try variable(offsets: o, data: bufs[0], what: "variable mini-block")
        case .fsst(let f)?:
            let inner = try miniBlockDecode(f.values, bufs, count: count, kind: .variable)
            return try fsst(inner, symbolTable: Array(f.symbolTable))
        case .general(let g)?:
            guard !bufs.isEmpty else { throw LanceError.corrupt("general mini-block has no buffers") }
            var b = bufs
            b[0] = Buffer(try V21General.decompress(bufs[0], scheme: g.compression.scheme, limit: 1 << 28))
            return try miniBlockDecode(g.values, b, count: count, kind: kind)
        case .rle(let r)?:
            guard bufs.count == 2 else { throw LanceError.corrupt("rle mini-block has \(bufs.count) buffers") }
            guard case .flat(let vf)? = r.values.compression else { throw LanceError.unsupported("rle values must be flat") }
            let raw = try rle(values: bufs[0], lengths: bufs[1], bits: Int(vf.bitsPerValue), count: count)
            return try shape(raw, bits: Int(vf.bitsPerValue), count: count, kind: kind)
        case .byteStreamSplit(let s)?:
            guard bufs.count == 1 else { throw LanceError.corrupt("byte-stream-split mini-block has \(bufs.count) buffers") }
            guard case .flat(let vf)? = s.values.compression else { throw LanceError.unsupported("byte_stream_split values must be flat") }
            let w = Int(vf.bitsPerValue) / 8
            guard w > 0, bufs[0].count >= w * count else { throw LanceError.corrupt("byte-stream-split chunk too short") }
            var out = [UInt8](repeating: 0, count: w * count)
            bufs[0].withUnsafeBytes { raw in
                for k in 0 ..< w { for i in 0 ..< count { out[i * w + k] = raw[k * count + i] } }
            }
            return try shape(out, bits: w * 8, count: count, kind: kind)
        case .fixedSizeList(let f)?:
            let dim = Int(f.itemsPerValue)
            guard dim > 0, case .fsl(let kdim, let inner) = kind, kdim == dim else {
                throw LanceError.corrupt("fixed_size_list of \(f.itemsPerValue) items does not match the column shape \(kind)")
            }
            var b = bufs
            var validity: [Bool]? = nil
            if f.hasValidity_p {
                guard b.count >= 2 else { throw LanceError.corrupt("fixed_size_list chunk lacks its validity buffer") }
                let vb = b.removeFirst()
                let n = count * dim
                guard vb.count >= (n + 7) / 8 else { throw LanceError.corrupt("fixed_size_list validity too short") }
                validity = (0 ..< n).map { vb[$0 >> 3] & (1 << ($0 & 7)) != 0 }
            }
            let items = try miniBlockDecode(f.values, b, count: count * dim, kind: inner)
            return .fsl(dim: dim, validity: validity, items: items)
        case .constant(let c)?:
            return try constant(Array(c.value), count: count, kind: kind)
        case .packedStruct(let ps)?:
            guard case .packed(let kinds) = kind, kinds.count == ps.bitsPerValue.count else {
                throw LanceError.corrupt("packed struct of \(ps.bitsPerValue.count) members for a column of shape \(kind)")
            }
            let widths = ps.bitsPerValue.map { Int(clamping: $0) }
            let total = widths.reduce(0) { $0 &+ $1 }
            guard total % 8 == 0, total > 0, widths.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }) else {
                throw LanceError.unsupported("packed struct members of \(widths) bits")
            }
            let flat = try miniBlockDecode(ps.values, bufs, count: count, kind: .fixed(total / 8))
            guard case .fixed(_, let d) = flat else { throw LanceError.corrupt("packed struct rows are not fixed-width") }
            return try unpack(d, rowBytes: total / 8, count: count, kinds: kinds, widths: widths)
        default:
            throw unsupported(e, "mini-block")
        }
    }

    static func rle(values: Buffer, lengths: Buffer, bits: Int, count: Int) throws -> [UInt8] {
        let w = bits / 8
        guard w > 0, bits % 8 == 0 else { throw LanceError.unsupported("rle of \(bits)-bit values") }
        let runs = lengths.count
        guard values.count >= runs * w else { throw LanceError.corrupt("rle has \(runs) run lengths but \(values.count / w) values") }
        var out = [UInt8](); out.reserveCapacity(min(count, runs * 255) * w)
        var n = 0
        try values.withUnsafeBytes { v in
            try lengths.withUnsafeBytes { l in
                for r in 0 ..< runs {
                    let len = Int(l[r])
                    guard n + len <= count else { throw LanceError.corrupt("rle runs exceed \(count) values") }
                    for _ in 0 ..< len { out.append(contentsOf: v[r * w ..< (r + 1) * w]) }
                    n += len
                }
            }
        }
        guard n == count else { throw LanceError.corrupt("rle runs cover \(n) values, expected \(count)") }
        return out
    }

    static func constant(_ v: [UInt8], count: Int, kind: V21ValueKind) throws -> V21Values {
        guard count <= v21MaxValues / max(v.count, 1), count <= 1 << 28 else {
            throw LanceError.corrupt("constant expands to \(count) values, too many to materialize")
        }
        switch kind {
        case .variable:
            return .variable(offsets: (0 ... count).map { $0 * v.count }, data: Array([[UInt8]](repeating: v, count: count).joined()))
        case .bits:
            let bit = (v.first ?? 0) & 1 != 0
            return .bits(data: [UInt8](repeating: bit ? 0xFF : 0, count: (count + 7) / 8), count: count)
        default:
            guard let bits = kind.flatBits, bits % 8 == 0, v.count == bits / 8 else {
                throw LanceError.corrupt("constant of \(v.count) bytes does not fit the column shape \(kind)")
            }
            var out = [UInt8](); out.reserveCapacity(v.count * count)
            for _ in 0 ..< count { out.append(contentsOf: v) }
            return try shape(out, bits: bits, count: count, kind: kind)
        }
    }

    // MARK: Block context

    /// Decodes a whole buffer holding `count` values.
    static func blockDecode(_ e: CEnc, _ b: Buffer, count: Int, kind: V21ValueKind) throws -> V21Values {
        switch e.compression {
        case .flat(let f)?:
            var data = b
            if f.hasData { data = Buffer(try V21General.decompress(data, scheme: f.data.scheme, limit: 1 << 31)) }
            return try shape(data.bytes, bits: Int(f.bitsPerValue), count: count, kind: kind)
        case .inlineBitpacking(let ib)?:
            let bits = Int(ib.uncompressedBitsPerValue)
            let raw = try V21Bitpack.inline(b, wordBytes: bits / 8, count: count)
            return try shape(raw, bits: bits, count: count, kind: kind)
        case .outOfLineBitpacking(let o)?:
            guard case .flat(let vf)? = o.values.compression else { throw LanceError.unsupported("out-of-line bit-packed values must be flat") }
            let bits = Int(o.uncompressedBitsPerValue)
            let raw = try V21Bitpack.outOfLine(b, bitWidth: Int(vf.bitsPerValue), wordBytes: bits / 8, count: count)
            return try shape(raw, bits: bits, count: count, kind: kind)
        case .constant(let c)?:
            return try constant(Array(c.value), count: count, kind: kind)
        case .variable?:
            // u32 bits per offset, then the start of the bytes (u32 for 32-bit, u64 at byte 8 for 64-bit), offsets, bytes
            let bits = Int(try rdU32(b, 0, "variable block header"))
            let start: Int, offStart: Int
            if bits == 32 { start = Int(try rdU32(b, 4, "variable block header")); offStart = 8 }
            else if bits == 64 {
                let s = try rdU64(b, 8, "variable block header")
                guard s <= UInt64(b.count) else { throw LanceError.corrupt("variable block data start \(s) past its end") }
                start = Int(s); offStart = 16
            } else { throw LanceError.corrupt("variable block declares \(bits)-bit offsets") }
            guard start >= offStart, start <= b.count else { throw LanceError.corrupt("variable block data start \(start) is invalid") }
            let offBuf = b.slice(offStart, start - offStart)
            let o = try offsets(offBuf, bits: bits, count: count + 1, what: "variable block")
            return try variable(offsets: o, data: b.slice(start, b.count - start), what: "variable block")
        case .general(let g)?:
            let raw = try V21General.decompress(b, scheme: g.compression.scheme, limit: 1 << 31)
            return try blockDecode(g.values, Buffer(raw), count: count, kind: kind)
        case .rle(let r)?:
            guard case .flat(let vf)? = r.values.compression else { throw LanceError.unsupported("rle values must be flat") }
            let vlen = try rdU64(b, 0, "rle block header")
            guard vlen <= UInt64(b.count - 8) else { throw LanceError.corrupt("rle block values length \(vlen) past its end") }
            let raw = try rle(values: b.slice(8, Int(vlen)), lengths: b.slice(8 + Int(vlen), b.count - 8 - Int(vlen)),
                              bits: Int(vf.bitsPerValue), count: count)
            return try shape(raw, bits: Int(vf.bitsPerValue), count: count, kind: kind)
        case .fsst(let f)?:
            let inner = try blockDecode(f.values, b, count: count, kind: .variable)
            return try fsst(inner, symbolTable: Array(f.symbolTable))
        case .fixedSizeList(let f)?:
            guard !f.hasValidity_p, case .fsl(let dim, let inner) = kind, dim == Int(f.itemsPerValue) else {
                throw unsupported(e, "block")
            }
            return .fsl(dim: dim, validity: nil, items: try blockDecode(f.values, b, count: count * dim, kind: inner))
        default:
            throw unsupported(e, "block")
        }
    }

    /// Decodes rep/def levels (16-bit) from a block.
    static func levels(_ e: CEnc, _ b: Buffer, count: Int) throws -> [UInt16] {
        let v = try blockDecode(e, b, count: count, kind: .fixed(2))
        guard case .fixed(2, let d) = v else { throw LanceError.corrupt("levels did not decode to 16-bit values") }
        return d.withUnsafeBytes { raw in (0 ..< count).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) } }
    }
}
