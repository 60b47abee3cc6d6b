//! Shared code of the demo programs.
