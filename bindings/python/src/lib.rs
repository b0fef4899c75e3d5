//! Python binding (being written)
