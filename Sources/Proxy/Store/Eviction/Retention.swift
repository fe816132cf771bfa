/// Whether content is a cache (evictable, counted against `--cache-max-size`) or primary
/// data Cistern is the source of (pushed images, once storage routes exist: never evicted,
/// never counted). Stored in the index per entry, so primary data needs no new layout.
public enum Retention: UInt8, Sendable, Equatable {
    case cached = 0
    case primary = 1
}
