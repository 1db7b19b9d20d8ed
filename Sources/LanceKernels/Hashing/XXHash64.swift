/// XXH64 (the 64-bit xxHash), as used by the Zstandard content checksum.
public enum XXHash64 {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x &<< r) | (x &>> (64 &- r)) }

    @inline(__always) static func round(_ acc: UInt64, _ lane: UInt64) -> UInt64 {
        rotl(acc &+ lane &* p2, 31) &* p1
    }

    @inline(__always) static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 {
        (acc ^ round(0, v)) &* p1 &+ p4
    }

    /// XXH64 of `data` with `seed`.
    public static func hash(_ data: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = data.count
        guard let base = data.baseAddress, n > 0 else { return avalanche(seed &+ p5) }
        var i = 0
        var h: UInt64
        @inline(__always) func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while i &+ 32 <= n {
                v1 = round(v1, u64(i)); v2 = round(v2, u64(i &+ 8))
                v3 = round(v3, u64(i &+ 16)); v4 = round(v4, u64(i &+ 24))
                i &+= 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1); h = merge(h, v2); h = merge(h, v3); h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        h &+= UInt64(n)
        while i &+ 8 <= n {
            h ^= round(0, u64(i))
            h = rotl(h, 27) &* p1 &+ p4
            i &+= 8
        }
        if i &+ 4 <= n {
            let w = UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
            h ^= w &* p1
            h = rotl(h, 23) &* p2 &+ p3
            i &+= 4
        }
        while i < n {
            h ^= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &* p5
            h = rotl(h, 11) &* p1
            i &+= 1
        }
        return avalanche(h)
    }

    /// XXH64 of a byte array.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    @inline(__always) static func avalanche(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h &>> 33; h &*= p2
        h ^= h &>> 29; h &*= p3
        h ^= h &>> 32
        return h
    }
}

extension XXHash64 {
    /// Incremental XXH64: feeding the same bytes in any chunking gives the one-shot `hash` result.
    public struct Hasher: Sendable {
        var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
        let seed: UInt64
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 32)
        var buffered = 0

        public init(seed: UInt64 = 0) {
            self.seed = seed
            v1 = seed &+ XXHash64.p1 &+ XXHash64.p2
            v2 = seed &+ XXHash64.p2
            v3 = seed
            v4 = seed &- XXHash64.p1
        }

        @inline(__always) mutating func stripe(_ p: UnsafeRawPointer) {
            v1 = round(v1, UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
            v2 = round(v2, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            v3 = round(v3, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            v4 = round(v4, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        }

        public mutating func update(_ data: UnsafeRawBufferPointer) {
            guard var p = data.baseAddress, data.count > 0 else { return }
            var n = data.count
            total += n
            if buffered > 0 {
                let take = min(32 - buffered, n)
                buffer.withUnsafeMutableBytes { b in
                    (b.baseAddress! + buffered).copyMemory(from: p, byteCount: take)
                }
                buffered += take
                p += take
                n -= take
                if buffered < 32 { return }
                buffer.withUnsafeBytes { stripe($0.baseAddress!) }
                buffered = 0
            }
            while n >= 32 {
                stripe(p)
                p += 32
                n -= 32
            }
            if n > 0 {
                buffer.withUnsafeMutableBytes { b in b.baseAddress!.copyMemory(from: p, byteCount: n) }
                buffered = n
            }
        }

        public func finalize() -> UInt64 {
            var h: UInt64
            if total >= 32 {
                h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
                h = merge(h, v1); h = merge(h, v2); h = merge(h, v3); h = merge(h, v4)
            } else {
                h = seed &+ p5
            }
            h &+= UInt64(total)
            let rest = buffered
            return buffer.withUnsafeBytes { b -> UInt64 in
                var i = 0
                while i &+ 8 <= rest {
                    h ^= round(0, UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    h = rotl(h, 27) &* p1 &+ p4
                    i &+= 8
                }
                if i &+ 4 <= rest {
                    h ^= UInt64(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* p1
                    h = rotl(h, 23) &* p2 &+ p3
                    i &+= 4
                }
                while i < rest {
                    h ^= UInt64(b[i]) &* p5
                    h = rotl(h, 11) &* p1
                    i &+= 1
                }
                return avalanche(h)
            }
        }
    }
}
