import BenchCore
import Testing

@Suite struct SuiteSettingsTests {
    @Test(arguments: [true, false])
    func everyScenarioHasItsOwnLayer(quick: Bool) {
        let settings = SuiteSettings(quick: quick)
        let sizes = settings.blobSizes
        #expect(sizes.count == settings.hotLayer + 1)
        #expect(sizes[settings.hotLayer] == settings.hotBlobBytes)
        let indices = [settings.slowLeaderLayer, settings.abortLeaderLayer, settings.rangeLayer, settings.hotLayer]
            + settings.ratesBytesPerSecond.indices.flatMap { rate in settings.fanOuts.indices.map { settings.fanOutLayer(rate: rate, fanOut: $0) } }
        #expect(Set(indices).count == sizes.count)
    }

    @Test func eachColdFillLastsTheFillTimeAtItsRate() {
        let settings = SuiteSettings(quick: false)
        for (rateIndex, rate) in settings.ratesBytesPerSecond.enumerated() {
            let size = settings.blobSizes[settings.fanOutLayer(rate: rateIndex, fanOut: 0)]
            #expect(Double(size) / Double(rate) == settings.fillSeconds)
        }
    }
}
