// Finite State Entropy tables for Zstandard: reading a table description (normalized counts),
// building decoding tables, and the tables specific to sequences (literal lengths, match lengths,
// offsets) including the predefined distributions.

/// One state of a plain FSE decoding table.
struct ZstdFSEEntry: Sendable {
    var symbol: UInt8
    var nbBits: UInt8
    var baseline: UInt16
}

/// One state of a sequence decoding table: the symbol is already turned into its base value and
/// number of extra bits.
struct ZstdSeqEntry: Sendable {
    var baseValue: UInt32
    var nextState: UInt16
    var nbBits: UInt8
    var addBits: UInt8
}

enum ZstdFSE {
    /// Reads an FSE table description. Returns the normalized counts (−1 means "less than one"),
    /// the accuracy log and the number of bytes used.
    static func readCounts(_ src: UnsafePointer<UInt8>, _ size: Int, maxSymbol: Int, maxLog: Int)
        throws(CodecError) -> (counts: [Int16], log: Int, used: Int)
    {
        guard size > 0 else { throw CodecError(.truncated, "zstd: missing FSE table description") }
        var br = ZstdForwardBitReader(src, count: size)
        let log = br.read(4) + 5
        guard log <= maxLog else { throw CodecError(.corrupt, "zstd: FSE accuracy log \(log) too large") }
        var counts: [Int16] = []
        counts.reserveCapacity(maxSymbol + 1)
        var remaining = (1 << log) + 1
        var threshold = 1 << log
        var nbBits = log + 1
        var previousZero = false
        while remaining > 1 && counts.count <= maxSymbol {
            if previousZero {
                var n0 = counts.count
                while true {
                    let r = br.read(2)
                    n0 += r
                    guard n0 <= maxSymbol else { throw CodecError(.corrupt, "zstd: FSE zero run past last symbol") }
                    if r != 3 { break }
                }
                while counts.count < n0 { counts.append(0) }
                previousZero = false
            }
            let maxLow = 2 * threshold - 1 - remaining
            var count: Int
            let low = br.peek(nbBits - 1)
            if low < maxLow {
                count = low
                br.bitPos += nbBits - 1
            } else {
                count = br.peek(nbBits)
                br.bitPos += nbBits
                if count >= threshold { count -= maxLow }
            }
            count -= 1
            remaining -= count < 0 ? -count : count
            counts.append(Int16(count))
            previousZero = count == 0
            while remaining < threshold {
                nbBits -= 1
                threshold >>= 1
            }
            if br.bytesUsed > size { throw CodecError(.truncated, "zstd: FSE table description truncated") }
        }
        guard remaining == 1 else { throw CodecError(.corrupt, "zstd: FSE counts do not add up") }
        guard br.bytesUsed <= size else { throw CodecError(.truncated, "zstd: FSE table description truncated") }
        return (counts, log, br.bytesUsed)
    }

    /// Builds the decoding table (size `1 << log`) for normalized counts that sum to `1 << log`.
    static func buildTable(_ counts: [Int16], log: Int) throws(CodecError) -> [ZstdFSEEntry] {
        let size = 1 << log
        var symbols = [UInt8](repeating: 0, count: size)
        var next = [Int](repeating: 0, count: counts.count)
        var high = size - 1
        var total = 0
        for s in 0..<counts.count {
            let c = Int(counts[s])
            if c == -1 {
                guard high >= 0 else { throw CodecError(.corrupt, "zstd: FSE counts overflow table") }
                symbols[high] = UInt8(truncatingIfNeeded: s)
                high -= 1
                next[s] = 1
                total += 1
            } else {
                next[s] = c
                total += c
            }
        }
        guard total == size else { throw CodecError(.corrupt, "zstd: FSE counts do not add up") }
        let mask = size - 1
        let step = (size >> 1) + (size >> 3) + 3
        var pos = 0
        for s in 0..<counts.count where counts[s] > 0 {
            for _ in 0..<Int(counts[s]) {
                symbols[pos] = UInt8(truncatingIfNeeded: s)
                repeat { pos = (pos + step) & mask } while pos > high
            }
        }
        guard pos == 0 else { throw CodecError(.corrupt, "zstd: FSE spread failed") }
        var table = [ZstdFSEEntry](repeating: ZstdFSEEntry(symbol: 0, nbBits: 0, baseline: 0), count: size)
        for u in 0..<size {
            let s = Int(symbols[u])
            let x = next[s]
            next[s] += 1
            let nb = log - zstdHighBit(x)
            table[u] = ZstdFSEEntry(symbol: UInt8(s), nbBits: UInt8(nb), baseline: UInt16((x << nb) - size))
        }
        return table
    }
}

/// The three kinds of sequence codes.
enum ZstdSeqKind: Int, Sendable {
    case literalLength = 0, offset = 1, matchLength = 2

    var maxSymbol: Int {
        switch self {
        case .literalLength: 35
        case .offset: 31
        case .matchLength: 52
        }
    }

    var maxLog: Int {
        switch self {
        case .literalLength: 9
        case .offset: 8
        case .matchLength: 9
        }
    }

    var defaultLog: Int { self == .offset ? 5 : 6 }

    func entry(symbol s: Int, nbBits: Int, nextState: Int) -> ZstdSeqEntry {
        switch self {
        case .literalLength:
            ZstdSeqEntry(baseValue: ZstdTables.llBase[s], nextState: UInt16(nextState), nbBits: UInt8(nbBits),
                         addBits: ZstdTables.llBits[s])
        case .matchLength:
            ZstdSeqEntry(baseValue: ZstdTables.mlBase[s], nextState: UInt16(nextState), nbBits: UInt8(nbBits),
                         addBits: ZstdTables.mlBits[s])
        case .offset:
            ZstdSeqEntry(baseValue: UInt32(1) << UInt32(s), nextState: UInt16(nextState), nbBits: UInt8(nbBits),
                         addBits: UInt8(s))
        }
    }

    func seqTable(_ fse: [ZstdFSEEntry]) -> [ZstdSeqEntry] {
        fse.map { entry(symbol: Int($0.symbol), nbBits: Int($0.nbBits), nextState: Int($0.baseline)) }
    }

    var predefined: [ZstdSeqEntry] {
        switch self {
        case .literalLength: ZstdTables.predefinedLL
        case .offset: ZstdTables.predefinedOF
        case .matchLength: ZstdTables.predefinedML
        }
    }

    var defaultCounts: [Int16] {
        switch self {
        case .literalLength: ZstdTables.llDefault
        case .offset: ZstdTables.ofDefault
        case .matchLength: ZstdTables.mlDefault
        }
    }
}

enum ZstdTables {
    static let llBase: [UInt32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
    ]
    static let llBits: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ]
    static let mlBase: [UInt32] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
        31, 32, 33, 34,
        35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539,
    ]
    static let mlBits: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ]
    static let llDefault: [Int16] = [
        4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
        -1, -1, -1, -1,
    ]
    static let mlDefault: [Int16] = [
        1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
    ]
    static let ofDefault: [Int16] = [
        1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
    ]

    static let predefinedLL: [ZstdSeqEntry] = ZstdSeqKind.literalLength.seqTable(
        (try? ZstdFSE.buildTable(llDefault, log: 6)) ?? [])
    static let predefinedML: [ZstdSeqEntry] = ZstdSeqKind.matchLength.seqTable(
        (try? ZstdFSE.buildTable(mlDefault, log: 6)) ?? [])
    static let predefinedOF: [ZstdSeqEntry] = ZstdSeqKind.offset.seqTable(
        (try? ZstdFSE.buildTable(ofDefault, log: 5)) ?? [])
}
