extension FakeUpstream {
    /// The page `Behaviour.htmlErrorPage` serves (with status 200).
    static let htmlErrorPageBody = Array(
        "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body><h1>We'll be back soon</h1></body></html>\n"
            .utf8)

    /// The stored bytes `wrongBytes` asks for: nil when no such behaviour matched; `.some(nil)`
    /// to flip the stored bytes; `.some(bytes)` to serve `bytes`. The last one matched wins.
    static func wrongBytesSubstitution(in behaviours: [Behaviour]) -> [UInt8]?? {
        var substitution: [UInt8]?? = nil
        for case .wrongBytes(let replacement) in behaviours { substitution = .some(replacement) }
        return substitution
    }

    /// Applies `behaviours` (in rule order) to the normal answer: replaces the response,
    /// changes fields, and builds the delivery plan. Returns whether gzip was asked for;
    /// compression itself happens outside the lock (it runs a process). Pure.
    static func shape(
        _ normal: FakeUpstreamResponse, request: RecordedRequest, behaviours: [Behaviour], ownBaseURL: String
    ) -> (response: FakeUpstreamResponse, plan: FakeUpstreamDeliveryPlan, gzipWhenAccepted: Bool) {
        var response = normal
        // First pass: the first replacing behaviour wins.
        replacing: for behaviour in behaviours {
            switch behaviour {
            case .status(let statusCode, let headers, let body):
                response = FakeUpstreamResponse(statusCode: statusCode, headers: apiHeaders(contentType: "application/json"), body: body)
                if body.isEmpty { response.removeHeader("Content-Type") }
                for field in headers { response.setHeader(field.name, field.value) }
                break replacing
            case .htmlErrorPage:
                response = FakeUpstreamResponse(
                    statusCode: 200, headers: [TestHeaderField("Content-Type", "text/html; charset=utf-8")],
                    body: htmlErrorPageBody)
                break replacing
            case .redirect(let target, let statusCode):
                let location = switch target {
                case .url(let url): url
                case .sameTargetOn(let baseURL): baseURL + request.target
                }
                response = redirectResponse(statusCode: statusCode, location: location)
                break replacing
            case .redirectLoop(let statusCode):
                response = redirectResponse(statusCode: statusCode, location: ownBaseURL + request.target)
                break replacing
            default:
                continue
            }
        }
        // Second pass: field changes and delivery; later rules override earlier ones.
        var plan = FakeUpstreamDeliveryPlan()
        var gzipWhenAccepted = false
        for behaviour in behaviours {
            switch behaviour {
            case .status, .htmlErrorPage, .redirect, .redirectLoop, .wrongBytes, .ignoreRange:
                continue  // Handled above or while routing.
            case .delayBeforeHeaders(let duration): plan.delayBeforeHeaders = duration
            case .closeBeforeAnswer: plan.closesBeforeAnswer = true
            case .malformedStatusLine(let line): plan.statusLineOverride = line
            case .omitDigestHeader: response.removeHeader("Docker-Content-Digest")
            case .omitContentType: response.removeHeader("Content-Type")
            case .etag(let value): response.setHeader("ETag", value)
            case .giantHeader(let byteCount):
                response.headers.append(TestHeaderField("X-Fake-Padding", String(repeating: "a", count: byteCount)))
            case .gzipWhenAccepted: gzipWhenAccepted = true
            case .throttle(let bytesPerSecond): plan.throttleBytesPerSecond = max(1, bytesPerSecond)
            case .stall(let afterBodyByteCount, let duration):
                plan.stall = .init(afterBodyByteCount: afterBodyByteCount, duration: duration)
            case .resetAfter(let bodyByteCount): plan.cut = .reset(afterBodyByteCount: bodyByteCount)
            case .closeAfter(let bodyByteCount): plan.cut = .close(afterBodyByteCount: bodyByteCount)
            case .extraBodyBytes(let byteCount): plan.extraBodyByteCount = byteCount
            case .chunked(let chunkByteCount, let malformedSize):
                plan.chunking = .init(chunkByteCount: max(1, chunkByteCount), malformedSize: malformedSize)
            }
        }
        return (response, plan, gzipWhenAccepted)
    }

    private static func redirectResponse(statusCode: Int, location: String) -> FakeUpstreamResponse {
        FakeUpstreamResponse(
            statusCode: statusCode,
            headers: [
                TestHeaderField("Location", location),
                TestHeaderField("Docker-Distribution-API-Version", "registry/2.0"),
            ])
    }
}
