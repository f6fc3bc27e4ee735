// amap_shim.cc - the C++ hash maps of bench_amap behind the C calls of
// amap_shim.h: one template per key type, instantiated for
// std::unordered_map, absl::flat_hash_map and boost::unordered_flat_map.
//
// Each map uses its own default hash for u64 keys.  String keys are owned
// std::string; lookups by pointer and length go through a std::string_view
// (absl::string_view for absl, which Debian builds with its own) without
// building a string: absl's maps do this by default, the other two
// get a transparent hash and equality (C++20 heterogeneous lookup), hashing
// the bytes with the hash each library uses for strings.
#include "amap_shim.h"

#include <absl/base/config.h>
#include <absl/container/flat_hash_map.h>
#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/version.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

// std::hash of the bytes, for std::string and std::string_view alike.
struct StdStrHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// boost::hash of the bytes, for std::string and std::string_view alike.
struct BoostStrHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return boost::hash<std::string_view>{}(s); }
};

template <class Map> struct U64Map {
    static void *create() { return new Map; }
    static void destroy(void *m) { delete static_cast<Map *>(m); }
    static bool put(void *m, uint64_t k, uint64_t v)
    {
        auto r = static_cast<Map *>(m)->insert_or_assign(k, v);
        return r.second;
    }
    static bool get(const void *m, uint64_t k, uint64_t *v)
    {
        const Map &map = *static_cast<const Map *>(m);
        auto it = map.find(k);
        if (it == map.end())
            return false;
        *v = it->second;
        return true;
    }
    static bool del(void *m, uint64_t k) { return static_cast<Map *>(m)->erase(k) != 0; }
    static uint64_t sum(const void *m, size_t *n)
    {
        uint64_t s = 0;
        size_t c = 0;
        for (const auto &e : *static_cast<const Map *>(m)) {
            s += e.second;
            c++;
        }
        *n = c;
        return s;
    }
    static size_t len(const void *m) { return static_cast<const Map *>(m)->size(); }
};

// View: the string view type the map's heterogeneous lookup takes.
template <class Map, class View> struct StrMap {
    static bool put(void *m, const char *k, size_t len, uint64_t v)
    {
        auto r = static_cast<Map *>(m)->insert_or_assign(std::string(k, len), v);
        return r.second;
    }
    static bool get(const void *m, const char *k, size_t len, uint64_t *v)
    {
        const Map &map = *static_cast<const Map *>(m);
        auto it = map.find(View(k, len));
        if (it == map.end())
            return false;
        *v = it->second;
        return true;
    }
    static bool del(void *m, const char *k, size_t len)
    {
        Map &map = *static_cast<Map *>(m);
        auto it = map.find(View(k, len));
        if (it == map.end())
            return false;
        map.erase(it);
        return true;
    }
};

template <class Map> constexpr shim_ops_t u64_ops(const char *name)
{
    using M = U64Map<Map>;
    return {name, M::create, M::destroy, M::put, M::get, M::del, nullptr, nullptr, nullptr, M::sum, M::len};
}

template <class Map, class View> constexpr shim_ops_t str_ops(const char *name)
{
    using M = U64Map<Map>;
    using S = StrMap<Map, View>;
    return {name, M::create, M::destroy, nullptr, nullptr, nullptr, S::put, S::get, S::del, M::sum, M::len};
}

using StdU64 = std::unordered_map<uint64_t, uint64_t>;
using AbslU64 = absl::flat_hash_map<uint64_t, uint64_t>;
using BoostU64 = boost::unordered_flat_map<uint64_t, uint64_t>;
using StdStr = std::unordered_map<std::string, uint64_t, StdStrHash, std::equal_to<>>;
using AbslStr = absl::flat_hash_map<std::string, uint64_t>;
using BoostStr = boost::unordered_flat_map<std::string, uint64_t, BoostStrHash, std::equal_to<>>;

const shim_ops_t u64_maps[3] = {
    u64_ops<StdU64>("std::unordered_map"),
    u64_ops<AbslU64>("absl::flat_hash_map"),
    u64_ops<BoostU64>("boost::unordered_flat_map"),
};

const shim_ops_t str_maps[3] = {
    str_ops<StdStr, std::string_view>("std::unordered_map"),
    str_ops<AbslStr, absl::string_view>("absl::flat_hash_map"),
    str_ops<BoostStr, std::string_view>("boost::unordered_flat_map"),
};

} // namespace

extern "C" const shim_ops_t *shim_maps(bool str)
{
    return str ? str_maps : u64_maps;
}

extern "C" const char *shim_versions(void)
{
    static char buf[128];
    std::snprintf(buf, sizeof buf, "GCC %d.%d.%d, abseil %d, Boost %d.%d", __GNUC__, __GNUC_MINOR__,
                  __GNUC_PATCHLEVEL__, ABSL_LTS_RELEASE_VERSION, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
    return buf;
}
