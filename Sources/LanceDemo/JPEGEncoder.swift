// SPDX-License-Identifier: Apache-2.0

/// A baseline (sequential, Huffman-coded, 8-bit) JPEG encoder for interleaved RGB pixels.
///
/// Output: SOI, a JFIF 1.01 APP0 segment, two quantisation tables (IJG quality scaling of the
/// ITU T.81 Annex K tables), SOF0 with three components, the four standard Annex K Huffman
/// tables, one interleaved scan, EOI. No restart markers.
///
/// Chroma is subsampled **4:2:0** (Y at 2×2, Cb and Cr at 1×1; each chroma sample is the mean of
/// a 2×2 luma-grid neighbourhood), the same default as libjpeg and Pillow. Images whose sides are
/// not multiples of 16 are padded by repeating the last column and row; the frame header carries
/// the true size so decoders crop. The DCT is the float AAN transform (``DCT``), with its output
/// scale folded into the quantisation divisors.
public enum JPEGEncoder {
    /// Encodes `rgb` (row-major, 3 bytes per pixel, `width * height * 3` bytes) as a JPEG file.
    ///
    /// - Parameters:
    ///   - quality: 1…100 (clamped), the IJG quality scale: 50 uses the Annex K tables as given.
    /// - Returns: the bytes of a complete JFIF file.
    /// - Precondition: `1 ≤ width, height ≤ 65535` and `rgb.count == width * height * 3`.
    public static func encode(rgb: [UInt8], width: Int, height: Int, quality: Int) -> [UInt8] {
        precondition(width >= 1 && width <= 65535 && height >= 1 && height <= 65535, "JPEG sides must be 1...65535")
        precondition(rgb.count == width * height * 3, "rgb must hold width * height * 3 bytes")
        let lumaQ = scaledTable(baseLuminance, quality: quality)
        let chromaQ = scaledTable(baseChrominance, quality: quality)

        var out: [UInt8] = []
        out.reserveCapacity(width * height / 4 + 1024)
        out += [0xFF, 0xD8]
        // APP0 JFIF 1.01, no units, 1:1 aspect, no thumbnail.
        out += [0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        // DQT: both tables, 8-bit precision, zig-zag order.
        out += [0xFF, 0xDB, 0x00, 0x84, 0x00]
        out += zigzag.map { UInt8(lumaQ[$0]) }
        out.append(0x01)
        out += zigzag.map { UInt8(chromaQ[$0]) }
        // SOF0
        out += [0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF),
                0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
        // DHT
        let specs: [(UInt8, HuffmanSpec)] = [(0x00, .dcLuminance), (0x10, .acLuminance), (0x01, .dcChrominance), (0x11, .acChrominance)]
        let dhtLength = 2 + specs.reduce(0) { $0 + 17 + $1.1.values.count }
        out += [0xFF, 0xC4, UInt8(dhtLength >> 8), UInt8(dhtLength & 0xFF)]
        for (id, spec) in specs {
            out.append(id)
            out += spec.counts
            out += spec.values
        }
        // SOS
        out += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00]

        var writer = BitWriter(out: out)
        encodeScan(rgb: rgb, width: width, height: height, lumaQ: lumaQ, chromaQ: chromaQ, writer: &writer)
        writer.flush()
        out = writer.out
        out += [0xFF, 0xD9]
        return out
    }

    /// The quantisation table (natural order) that `quality` gives for an Annex K base table (IJG formula).
    public static func scaledTable(_ base: [Int], quality: Int) -> [Int] {
        let q = min(max(quality, 1), 100)
        let scale = q < 50 ? 5000 / q : 200 - 2 * q
        return base.map { min(max(($0 * scale + 50) / 100, 1), 255) }
    }

    /// ITU T.81 Table K.1 (luminance), natural order.
    public static let baseLuminance: [Int] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]

    /// ITU T.81 Table K.2 (chrominance), natural order.
    public static let baseChrominance: [Int] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    ] + [Int](repeating: 99, count: 32)

    /// `zigzag[k]` is the natural-order index of the k-th coefficient in zig-zag order.
    public static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ]

    // MARK: - Scan

    private static func encodeScan(rgb: [UInt8], width: Int, height: Int, lumaQ: [Int], chromaQ: [Int],
                                   writer: inout BitWriter) {
        let mcuCols = (width + 15) / 16, mcuRows = (height + 15) / 16
        let pw = mcuCols * 16, ph = mcuRows * 16
        let cw = pw / 2, ch = ph / 2
        // Colour conversion into edge-padded planes, level-shifted by −128.
        var yPlane = [Float](repeating: 0, count: pw * ph)
        var cbFull = [Float](repeating: 0, count: pw * ph)
        var crFull = [Float](repeating: 0, count: pw * ph)
        rgb.withUnsafeBufferPointer { src in
            for y in 0..<ph {
                let sy = min(y, height - 1)
                for x in 0..<pw {
                    let s = (sy * width + min(x, width - 1)) * 3
                    let r = Float(src[s]), g = Float(src[s + 1]), b = Float(src[s + 2])
                    let i = y * pw + x
                    yPlane[i] = 0.299 * r + 0.587 * g + 0.114 * b - 128
                    cbFull[i] = -0.168736 * r - 0.331264 * g + 0.5 * b
                    crFull[i] = 0.5 * r - 0.418688 * g - 0.081312 * b
                }
            }
        }
        var cb = [Float](repeating: 0, count: cw * ch)
        var cr = [Float](repeating: 0, count: cw * ch)
        for y in 0..<ch {
            for x in 0..<cw {
                let i = 2 * y * pw + 2 * x
                cb[y * cw + x] = 0.25 * (cbFull[i] + cbFull[i + 1] + cbFull[i + pw] + cbFull[i + pw + 1])
                cr[y * cw + x] = 0.25 * (crFull[i] + crFull[i + 1] + crFull[i + pw] + crFull[i + pw + 1])
            }
        }
        let lumaDiv = divisors(lumaQ), chromaDiv = divisors(chromaQ)
        let dcL = HuffmanCode(.dcLuminance), acL = HuffmanCode(.acLuminance)
        let dcC = HuffmanCode(.dcChrominance), acC = HuffmanCode(.acChrominance)
        var predY = 0, predCb = 0, predCr = 0
        var block = [Float](repeating: 0, count: 64)
        var quantised = [Int](repeating: 0, count: 64)
        for my in 0..<mcuRows {
            for mx in 0..<mcuCols {
                for (bx, by) in [(0, 0), (8, 0), (0, 8), (8, 8)] {
                    transform(yPlane, stride: pw, x: mx * 16 + bx, y: my * 16 + by, divisors: lumaDiv,
                              block: &block, out: &quantised)
                    emit(quantised, pred: &predY, dc: dcL, ac: acL, writer: &writer)
                }
                transform(cb, stride: cw, x: mx * 8, y: my * 8, divisors: chromaDiv, block: &block, out: &quantised)
                emit(quantised, pred: &predCb, dc: dcC, ac: acC, writer: &writer)
                transform(cr, stride: cw, x: mx * 8, y: my * 8, divisors: chromaDiv, block: &block, out: &quantised)
                emit(quantised, pred: &predCr, dc: dcC, ac: acC, writer: &writer)
            }
        }
    }

    /// Reciprocals of the full divisors (table entry × AAN output scale), natural order.
    private static func divisors(_ table: [Int]) -> [Float] {
        (0..<64).map { i in 1 / (Float(table[i]) * DCT.aanScale[i % 8] * DCT.aanScale[i / 8] * 8) }
    }

    @inline(__always)
    private static func transform(_ plane: [Float], stride: Int, x: Int, y: Int, divisors: [Float],
                                  block: inout [Float], out: inout [Int]) {
        block.withUnsafeMutableBufferPointer { b in
            plane.withUnsafeBufferPointer { p in
                for r in 0..<8 {
                    let base = (y + r) * stride + x
                    for c in 0..<8 { b[r * 8 + c] = p[base + c] }
                }
                DCT.scaledAAN(b)
                for i in 0..<64 { out[i] = Int((b[i] * divisors[i]).rounded()) }
            }
        }
    }

    @inline(__always)
    private static func emit(_ q: [Int], pred: inout Int, dc: HuffmanCode, ac: HuffmanCode, writer: inout BitWriter) {
        let diff = q[0] - pred
        pred = q[0]
        let dcCat = category(diff)
        writer.write(dc.code[dcCat], dc.length[dcCat])
        if dcCat > 0 { writer.write(magnitudeBits(diff, dcCat), dcCat) }
        var run = 0
        for k in 1..<64 {
            let v = q[zigzag[k]]
            if v == 0 { run += 1; continue }
            while run > 15 {
                writer.write(ac.code[0xF0], ac.length[0xF0])
                run -= 16
            }
            let cat = category(v)
            let symbol = run << 4 | cat
            writer.write(ac.code[symbol], ac.length[symbol])
            writer.write(magnitudeBits(v, cat), cat)
            run = 0
        }
        if run > 0 { writer.write(ac.code[0x00], ac.length[0x00]) }
    }

    /// Number of bits of |v| (the JPEG magnitude category).
    @inline(__always)
    private static func category(_ v: Int) -> Int {
        let a = v < 0 ? -v : v
        return a == 0 ? 0 : Int.bitWidth - a.leadingZeroBitCount
    }

    /// The `cat` extra bits: v itself when positive, v − 1 (in `cat` bits, ones' complement) when negative.
    @inline(__always)
    private static func magnitudeBits(_ v: Int, _ cat: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: v < 0 ? v - 1 : v) & ((1 << UInt32(cat)) - 1)
    }
}

/// A Huffman table as stored in DHT: code counts per length 1…16, then symbols in code order.
public struct HuffmanSpec: Sendable {
    public let counts: [UInt8]
    public let values: [UInt8]

    /// ITU T.81 Table K.3.
    public static let dcLuminance = HuffmanSpec(counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
                                                values: Array(0...11))
    /// ITU T.81 Table K.4.
    public static let dcChrominance = HuffmanSpec(counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
                                                  values: Array(0...11))
    /// ITU T.81 Table K.5.
    public static let acLuminance = HuffmanSpec(
        counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D],
        values: [
            0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
            0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
            0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
            0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
            0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
            0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
            0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
            0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
            0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
            0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
            0xF9, 0xFA,
        ])
    /// ITU T.81 Table K.6.
    public static let acChrominance = HuffmanSpec(
        counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
        values: [
            0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
            0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
            0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
            0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
            0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
            0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
            0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
            0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
            0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
            0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
            0xF9, 0xFA,
        ])
}

/// Canonical codes per symbol derived from a ``HuffmanSpec`` (T.81 Annex C).
struct HuffmanCode {
    var code = [UInt32](repeating: 0, count: 256)
    var length = [Int](repeating: 0, count: 256)

    init(_ spec: HuffmanSpec) {
        var next: UInt32 = 0
        var k = 0
        for len in 1...16 {
            for _ in 0..<Int(spec.counts[len - 1]) {
                code[Int(spec.values[k])] = next
                length[Int(spec.values[k])] = len
                next += 1
                k += 1
            }
            next <<= 1
        }
    }
}

/// MSB-first bit packer with 0xFF byte stuffing.
struct BitWriter {
    var out: [UInt8]
    private var acc: UInt64 = 0
    private var bits = 0

    init(out: [UInt8]) { self.out = out }

    @inline(__always)
    mutating func write(_ value: UInt32, _ count: Int) {
        guard count > 0 else { return }
        acc = (acc << UInt64(count)) | UInt64(value & UInt32((1 << UInt64(count)) - 1))
        bits += count
        while bits >= 8 {
            bits -= 8
            let byte = UInt8(truncatingIfNeeded: acc >> UInt64(bits))
            out.append(byte)
            if byte == 0xFF { out.append(0x00) }
        }
    }

    /// Pads the last byte with 1-bits.
    mutating func flush() {
        if bits > 0 { write((1 << UInt32(8 - bits)) - 1, 8 - bits) }
    }
}
