//! The crate's logging macros.
//!
//! `net_error!`, `net_warn!`, `net_info!`, `net_debug!` and `net_trace!` go to
//! the `log` crate with the `log` feature, to `defmt` with the `defmt` feature,
//! and compile to nothing (while still type-checking their arguments) with
//! neither. With `log`, the message is prefixed with the name of the function
//! that logs it, as microps does (`arp_input: dev=net1, ...`).
//!
//! `net_dump!` hands a multi-line decoded header (anything `Display`) to the
//! `log` back end at debug level; it is silent under `defmt`, whose wire format
//! has no room for free-form text. The stack dumps each frame it receives and
//! sends whole, as a [`FrameDump`](crate::wire::FrameDump), from `iface`.

/// The name of the enclosing function, without its module path.
#[cfg(feature = "log")]
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! function_name {
    () => {{
        fn f() {}
        let name = core::any::type_name_of_val(&f);
        let name = name.strip_suffix("::f").unwrap_or(name);
        let name = name.trim_end_matches("::{{closure}}");
        match name.rfind("::") {
            Some(i) => name.get(i + 2..).unwrap_or(name),
            None => name,
        }
    }};
}

#[cfg(feature = "log")]
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_log {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {
        log::$level!(concat!("{}: ", $fmt), function_name!() $(, $arg)*)
    };
}

#[cfg(feature = "defmt")]
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_log {
    ($level:ident, $($arg:tt)+) => {
        defmt::$level!($($arg)+)
    };
}

#[cfg(not(any(feature = "log", feature = "defmt")))]
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_log {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        $( let _ = &$arg; )*
    }};
}

#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_error {
    ($($arg:tt)+) => { net_log!(error, $($arg)+) };
}
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_warn {
    ($($arg:tt)+) => { net_log!(warn, $($arg)+) };
}
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_info {
    ($($arg:tt)+) => { net_log!(info, $($arg)+) };
}
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_debug {
    ($($arg:tt)+) => { net_log!(debug, $($arg)+) };
}
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_trace {
    ($($arg:tt)+) => { net_log!(trace, $($arg)+) };
}

/// Logs a decoded, multi-line header dump at debug level (log back end only).
#[cfg(feature = "log")]
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_dump {
    ($view:expr) => {
        if log::log_enabled!(target: "microps_core::dump", log::Level::Debug) {
            log::debug!(target: "microps_core::dump", "{}", $view)
        }
    };
}

#[cfg(not(feature = "log"))]
#[allow(unused_macros, reason = "not every configuration logs at every level")]
macro_rules! net_dump {
    ($view:expr) => {{
        let _ = &$view;
    }};
}
