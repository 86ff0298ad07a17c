//! The journal: its steps and resumes, batches, and the Azure Blob Storage
//! store.

mod batch;
mod blob;
mod steps;
