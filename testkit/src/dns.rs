//! owned by helper
