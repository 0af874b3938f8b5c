//! The `edera` plugin's `.so`: the exported `plugin_*` symbols of crate `edera-falco-plugin`'s API
//! table (base, source, parse and extract capabilities). A crate of its own because symbols
//! defined in the library would be linked into every `.so` built on it (see the library's `ffi`).

plugin::plugin_symbols!(plugin::EDERA_PLUGIN_API; base, source, parse, extract);
