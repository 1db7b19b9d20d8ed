// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import LanceDemo

@Suite struct JPEGEncoderTests {
    @Test("fast AAN DCT matches the reference DCT on random and structured blocks")
    func fastMatchesReference() {
        var rng = DemoRandom(seed: 5)
        var blocks: [[Float]] = [
            [Float](repeating: 0, count: 64),
            [Float](repeating: 127, count: 64),
            [Float](repeating: -128, count: 64),
            (0..<64).map { Float(($0 % 8 + $0 / 8) % 2 == 0 ? 127 : -128) },   // checkerboard
            (0..<64).map { Float($0 * 4 - 128) },                              // ramp
        ]
        for _ in 0..<50 { blocks.append((0..<64).map { _ in Float(rng.int(-128...127)) }) }
        for b in blocks {
            let ref = DCT.reference(b)
            let fast = DCT.fast(b)
            let worst = zip(ref, fast).map { abs($0 - Double($1)) }.max()!
            #expect(worst < 0.02, "max |fast - reference| = \(worst)")
        }
        // A constant block has only a DC term, equal to 8 × the sample value.
        let dc = DCT.reference([Float](repeating: 10, count: 64))
        #expect(abs(dc[0] - 80) < 1e-9)
        #expect(dc.dropFirst().allSatisfy { abs($0) < 1e-9 })
    }

    @Test("standard Huffman tables are complete prefix codes with the Annex K symbol counts")
    func huffmanTables() {
        for spec in [HuffmanSpec.dcLuminance, .dcChrominance, .acLuminance, .acChrominance] {
            #expect(spec.counts.count == 16)
            #expect(spec.counts.reduce(0) { $0 + Int($1) } == spec.values.count)
            #expect(Set(spec.values).count == spec.values.count)
            // Kraft sum below 1: the all-ones code stays unused, as T.81 requires.
            let kraft = spec.counts.enumerated().reduce(0.0) { $0 + Double($1.element) / Double(1 << ($1.offset + 1)) }
            #expect(kraft < 1)
            let code = HuffmanCode(spec)
            for v in spec.values {
                let len = code.length[Int(v)]
                #expect(len >= 1 && len <= 16)
                #expect(code.code[Int(v)] != (1 << UInt32(len)) - 1, "all-ones code assigned")
            }
        }
        #expect(HuffmanSpec.acLuminance.values.count == 162)
        #expect(HuffmanSpec.acChrominance.values.count == 162)
    }

    @Test("IJG quality scaling of the quantisation tables")
    func qualityScaling() {
        #expect(JPEGEncoder.scaledTable(JPEGEncoder.baseLuminance, quality: 50) == JPEGEncoder.baseLuminance)
        #expect(JPEGEncoder.scaledTable(JPEGEncoder.baseLuminance, quality: 100).allSatisfy { $0 == 1 })
        // quality 75: scale 50 -> (16 * 50 + 50) / 100 = 8
        #expect(JPEGEncoder.scaledTable(JPEGEncoder.baseLuminance, quality: 75)[0] == 8)
        // quality 10: scale 500 -> 16 * 5 = 80; 121 * 5 clamps to 255
        let q10 = JPEGEncoder.scaledTable(JPEGEncoder.baseLuminance, quality: 10)
        #expect(q10[0] == 80 && q10.max() == 255)
        #expect(Set(JPEGEncoder.zigzag) == Set(0..<64))
    }

    @Test("file structure: SOI, JFIF APP0, SOF0 with the true size, EOI")
    func markers() {
        let rgb = [UInt8](repeating: 200, count: 17 * 9 * 3)
        let jpeg = JPEGEncoder.encode(rgb: rgb, width: 17, height: 9, quality: 80)
        #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8])
        #expect(Array(jpeg[6..<11]) == Array("JFIF\0".utf8))
        #expect(Array(jpeg.suffix(2)) == [0xFF, 0xD9])
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        #expect(Int(jpeg[sof + 5]) << 8 | Int(jpeg[sof + 6]) == 9)
        #expect(Int(jpeg[sof + 7]) << 8 | Int(jpeg[sof + 8]) == 17)
        // Entropy-coded data has every 0xFF stuffed: after SOS, 0xFF is followed by 0x00 or is EOI.
        let sos = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }!
        for i in (sos + 14)..<(jpeg.count - 2) where jpeg[i] == 0xFF { #expect(jpeg[i + 1] == 0x00) }
    }

    static func testImage(width w: Int, height h: Int, seed: UInt64) -> [UInt8] {
        var rng = DemoRandom(seed: seed)
        return ImageModel.pixels(width: w, height: h, &rng)
    }

    @Test("Pillow decodes odd-sized images with the right size and an error that falls with quality")
    func pillowDecodes() throws {
        let sizes = [(1, 1), (17, 9), (100, 63), (9, 17), (640, 480)]
        let qualities = [30, 60, 90, 100]
        var jpegs: [[UInt8]] = [], sources: [[UInt8]?] = [], cases: [(Int, Int, Int)] = []
        for (k, (w, h)) in sizes.enumerated() {
            let rgb = Self.testImage(width: w, height: h, seed: UInt64(k))
            for q in qualities {
                jpegs.append(JPEGEncoder.encode(rgb: rgb, width: w, height: h, quality: q))
                sources.append(rgb)
                cases.append((w, h, q))
            }
        }
        let decoded = try Pillow.decode(jpegs, sources: sources, qualities: cases.map(\.2))
        #expect(decoded.count == jpegs.count)
        for (d, (w, h, q)) in zip(decoded, cases) {
            #expect(d.format == "JPEG")
            #expect(d.mode == "RGB")
            #expect(d.width == w && d.height == h, "\(w)x\(h) q\(q) decoded as \(d.width)x\(d.height)")
            let mae = try #require(d.meanAbsoluteError)
            let pillow = try #require(d.pillowMeanAbsoluteError)
            // Within a little of libjpeg (Pillow) at the same quality and subsampling: tiny images with
            // sharp coloured shapes lose much to 4:2:0 chroma in both encoders.
            #expect(mae >= 0 && mae <= pillow * 1.15 + 0.3, "\(w)x\(h) q\(q): MAE \(mae), Pillow's \(pillow)")
            if w * h >= 100_000 {   // the large smooth picture: absolute bounds, tighter at higher quality
                let bound: Double = q >= 100 ? 1.5 : q >= 90 ? 2 : q >= 60 ? 3 : 4
                #expect(mae < bound, "\(w)x\(h) q\(q): MAE \(mae)")
            }
        }
        // Per size, a higher quality never decodes worse.
        for s in 0..<sizes.count where sizes[s].0 * sizes[s].1 > 1 {
            let maes = (0..<qualities.count).map { decoded[s * qualities.count + $0].meanAbsoluteError ?? 99 }
            #expect(maes[0] >= maes[2] && maes[1] >= maes[3], "\(sizes[s]): \(maes)")
        }
    }

    @Test("Pillow decodes flat, saturated and noisy content (0xFF stuffing, long zero runs)")
    func pillowDecodesExtremes() throws {
        var rng = DemoRandom(seed: 9)
        let w = 33, h = 20
        let images: [[UInt8]] = [
            [UInt8](repeating: 255, count: w * h * 3),
            [UInt8](repeating: 0, count: w * h * 3),
            (0..<(w * h * 3)).map { _ in UInt8(rng.int(0...255)) },
            (0..<(w * h)).flatMap { p -> [UInt8] in (p / w + p % w) % 2 == 0 ? [255, 0, 0] : [0, 0, 255] },
        ]
        let jpegs = images.map { JPEGEncoder.encode(rgb: $0, width: w, height: h, quality: 95) }
        let decoded = try Pillow.decode(jpegs, sources: images, qualities: [95, 95, 95, 95])
        #expect(decoded.map(\.width) == [w, w, w, w])
        #expect(decoded.map(\.height) == [h, h, h, h])
        #expect((decoded[0].meanAbsoluteError ?? 99) < 1)
        #expect((decoded[1].meanAbsoluteError ?? 99) < 1)
        // White noise and a red/blue pixel checkerboard: most chroma is lost to 4:2:0, as in libjpeg.
        for d in decoded[2...] {
            let mae = try #require(d.meanAbsoluteError), pillow = try #require(d.pillowMeanAbsoluteError)
            #expect(mae <= pillow * 1.15 + 0.3, "MAE \(mae), Pillow's \(pillow)")
        }
    }
}
