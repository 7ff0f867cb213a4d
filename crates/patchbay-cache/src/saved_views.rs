//! Saved views of the records table: a name and the app's settings (filters, search, sort,
//! columns, as JSON the cache keeps without reading) per list of one account. Names are unique
//! per list, ignoring case, so the view list never shows two "Google leads".

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use crate::ids::validate_list;
use crate::writer::now_rfc3339;
use crate::{Cache, CacheError};

/// A view name longer than this is not one a person typed.
pub const MAX_NAME: usize = 100;
/// The settings are a handful of filters and column keys; more than this is a bug.
const MAX_SETTINGS: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The app's JSON.
    pub settings: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// The name as kept: trimmed, not empty, not too long.
fn check_name(name: &str) -> Result<String, CacheError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(CacheError::InvalidViewName);
    }
    Ok(name.to_string())
}

fn check_settings(settings: &str) -> Result<(), CacheError> {
    if settings.len() > MAX_SETTINGS || serde_json::from_str::<serde_json::Value>(settings).is_err()
    {
        return Err(CacheError::InvalidQuery(
            "a saved view's settings must be JSON of at most 64 KiB".into(),
        ));
    }
    Ok(())
}

/// A name already used by another view of the list comes back as its own error.
fn name_taken(name: &str) -> impl Fn(rusqlite::Error) -> CacheError + '_ {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => CacheError::ViewNameTaken(name.to_string()),
        _ => CacheError::from(e),
    }
}

const COLUMNS: &str = "id, name, settings, updated_at";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<SavedView> {
    Ok(SavedView {
        id: r.get(0)?,
        name: r.get(1)?,
        settings: r.get(2)?,
        updated_at: r.get(3)?,
    })
}

fn one(conn: &Connection, list: (&str, &str, &str), id: i64) -> Result<SavedView, CacheError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM saved_view
         WHERE id = ?1 AND provider = ?2 AND account = ?3 AND resource = ?4"
    ))?
    .query_row(params![id, list.0, list.1, list.2], read)
    .optional()?
    .ok_or(CacheError::UnknownView(id))
}

impl Cache {
    /// The list's saved views, by name.
    pub fn views(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
    ) -> Result<Vec<SavedView>, CacheError> {
        validate_list(provider, account, resource)?;
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM saved_view
                     WHERE provider = ?1 AND account = ?2 AND resource = ?3 ORDER BY name, id"
                ))?
                .query_map([provider, account, resource], read)?
                .collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Saves a new view of the list.
    pub fn create_view(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        name: &str,
        settings: &str,
    ) -> Result<SavedView, CacheError> {
        validate_list(provider, account, resource)?;
        let name = check_name(name)?;
        check_settings(settings)?;
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT INTO saved_view (provider, account, resource, name, settings, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            provider,
            account,
            resource,
            name,
            settings,
            now_rfc3339()
        ])
        .map_err(name_taken(&name))?;
        one(
            &conn,
            (provider, account, resource),
            conn.last_insert_rowid(),
        )
    }

    /// Changes a view's name, its settings, or both (`None` keeps what it has).
    #[allow(clippy::too_many_arguments)]
    pub fn update_view(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        id: i64,
        name: Option<&str>,
        settings: Option<&str>,
    ) -> Result<SavedView, CacheError> {
        validate_list(provider, account, resource)?;
        let name = name.map(check_name).transpose()?;
        if let Some(s) = settings {
            check_settings(s)?;
        }
        let conn = self.writer();
        let current = one(&conn, (provider, account, resource), id)?;
        let new_name = name.unwrap_or(current.name);
        conn.prepare_cached(
            "UPDATE saved_view SET name = ?1, settings = ?2, updated_at = ?3 WHERE id = ?4",
        )?
        .execute(params![
            new_name,
            settings.unwrap_or(&current.settings),
            now_rfc3339(),
            id
        ])
        .map_err(name_taken(&new_name))?;
        one(&conn, (provider, account, resource), id)
    }

    /// Deletes a view of the list.
    pub fn delete_view(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        id: i64,
    ) -> Result<(), CacheError> {
        validate_list(provider, account, resource)?;
        let n = self
            .writer()
            .prepare_cached(
                "DELETE FROM saved_view
                 WHERE id = ?1 AND provider = ?2 AND account = ?3 AND resource = ?4",
            )?
            .execute(params![id, provider, account, resource])?;
        if n == 0 {
            return Err(CacheError::UnknownView(id));
        }
        Ok(())
    }
}
