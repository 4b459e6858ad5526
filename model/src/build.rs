//! A shipped build as crash reporting needs it: which product, version and channel a build id
//! is, per platform and locale, and where it came from. What a buildhub record and the
//! `submitBuilds` mutation both become, checked by one set of rules ([`NewBuild::check`]).
//!
//! The version is the true one (`64.0b4`): a crash report carries only the bare version a
//! beta build says of itself (`64.0`) and its build id, so the build id is the way back.

use crate::Revision;

/// A build as submitted. One build is a (product, build id, platform, locale, channel):
/// submitting it again updates it, and optional fields left out keep what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBuild {
    /// Lower case: `firefox`, `devedition`, `fennec`, `thunderbird`... (any name is taken).
    pub product: String,
    /// 14 digits, `YYYYMMDDhhmmss`: when the build started (buildhub's `build.id`).
    pub build_id: String,
    /// The true version: `64.0b4`, `63.0.3`, `60.3.0esr`, `65.0a1`.
    pub version: String,
    /// Lower case: `release`, `beta`, `aurora` (DevEdition), `nightly`, `esr`...
    pub channel: String,
    /// Buildhub's platform: `linux-x86_64`, `win64`, `mac`, `android-api-16`...
    pub platform: String,
    /// `linux`, `win`, `mac`, `android`...
    pub os: Option<String>,
    /// `en-US`, `de`, `ja-JP-mac`...
    pub locale: String,
    /// The source repository, as the record gives it (matched to a treeherd repository by
    /// URL when one is known).
    pub repository_url: Option<String>,
    /// The revision built.
    pub revision: Option<Revision>,
    /// The guid of the job that produced it, when known.
    pub job: Option<String>,
    pub download_url: Option<String>,
    pub mimetype: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    /// When it was published (buildhub's `download.date`), unix microseconds.
    pub published_at: Option<i64>,
    /// When it was built (buildhub's `build.date`), unix microseconds.
    pub built_at: Option<i64>,
}

/// A field of a build, to name in errors in each way builds come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildField {
    Product,
    BuildId,
    Version,
    Channel,
    Platform,
    Os,
    Locale,
    Repository,
    Revision,
    Job,
    DownloadUrl,
    Mimetype,
    Size,
    PublishedAt,
    BuiltAt,
}

impl BuildField {
    /// Its path in a buildhub record (`target.version`).
    pub fn buildhub_path(self) -> &'static str {
        match self {
            BuildField::Product => "source.product",
            BuildField::BuildId => "build.id",
            BuildField::Version => "target.version",
            BuildField::Channel => "target.channel",
            BuildField::Platform => "target.platform",
            BuildField::Os => "target.os",
            BuildField::Locale => "target.locale",
            BuildField::Repository => "source.repository",
            BuildField::Revision => "source.revision",
            // Buildhub records name no job; the GraphQL name is the only one.
            BuildField::Job => "job",
            BuildField::DownloadUrl => "download.url",
            BuildField::Mimetype => "download.mimetype",
            BuildField::Size => "download.size",
            BuildField::PublishedAt => "download.date",
            BuildField::BuiltAt => "build.date",
        }
    }

    /// Its name in the GraphQL `BuildInput` (`buildId`).
    pub fn graphql_name(self) -> &'static str {
        match self {
            BuildField::Product => "product",
            BuildField::BuildId => "buildId",
            BuildField::Version => "version",
            BuildField::Channel => "channel",
            BuildField::Platform => "platform",
            BuildField::Os => "os",
            BuildField::Locale => "locale",
            BuildField::Repository => "repositoryUrl",
            BuildField::Revision => "revision",
            BuildField::Job => "job",
            BuildField::DownloadUrl => "downloadUrl",
            BuildField::Mimetype => "mimetype",
            BuildField::Size => "size",
            BuildField::PublishedAt => "publishedAt",
            BuildField::BuiltAt => "builtAt",
        }
    }
}

/// A build that breaks a rule: which field, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", field.graphql_name())]
pub struct InvalidBuild {
    pub field: BuildField,
    pub problem: String,
}

/// The longest text any short field (product, version, platform...) may be.
const MAX_NAME: usize = 100;
/// The longest URL.
const MAX_URL: usize = 2000;

impl NewBuild {
    /// Normalises (trims; product and channel to lower case) and checks every field: a build
    /// id is 14 digits that read as a date and time, names are short and without spaces, a
    /// version starts with a digit, URLs are http(s), a size is not negative.
    pub fn check(&mut self) -> Result<(), InvalidBuild> {
        let fail = |field, problem: String| Err(InvalidBuild { field, problem });
        self.product = self.product.trim().to_lowercase();
        self.channel = self.channel.trim().to_lowercase();
        for (field, value) in [
            (BuildField::Product, &mut self.product),
            (BuildField::BuildId, &mut self.build_id),
            (BuildField::Version, &mut self.version),
            (BuildField::Channel, &mut self.channel),
            (BuildField::Platform, &mut self.platform),
            (BuildField::Locale, &mut self.locale),
        ] {
            *value = value.trim().to_owned();
            check_name(field, value)?;
        }
        for (field, value) in [
            (BuildField::Os, &mut self.os),
            (BuildField::Mimetype, &mut self.mimetype),
        ] {
            if let Some(text) = value {
                *text = text.trim().to_owned();
                check_name(field, text)?;
            }
        }
        if let Some(guid) = &mut self.job {
            *guid = guid.trim().to_owned();
            if guid.is_empty() || guid.len() > 200 {
                return fail(
                    BuildField::Job,
                    format!("{guid:?} must be 1 to 200 characters"),
                );
            }
        }
        check_build_id(&self.build_id)?;
        if !self.version.starts_with(|c: char| c.is_ascii_digit())
            || !self
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        {
            return fail(
                BuildField::Version,
                format!(
                    "{:?} is not a version (a digit first, then letters, digits, '.', '-' or '+', e.g. 64.0b4)",
                    self.version
                ),
            );
        }
        for (field, value) in [
            (BuildField::Repository, &mut self.repository_url),
            (BuildField::DownloadUrl, &mut self.download_url),
        ] {
            if let Some(url) = value {
                *url = url.trim().to_owned();
                check_url(field, url)?;
            }
        }
        if let Some(size) = self.size.filter(|s| *s < 0) {
            return fail(BuildField::Size, format!("{size} is negative"));
        }
        Ok(())
    }
}

fn check_name(field: BuildField, value: &str) -> Result<(), InvalidBuild> {
    let problem = if value.is_empty() {
        "must not be empty".to_owned()
    } else if value.chars().count() > MAX_NAME {
        format!("must be at most {MAX_NAME} characters")
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!("{value:?} must not contain spaces")
    } else {
        return Ok(());
    };
    Err(InvalidBuild { field, problem })
}

/// 14 digits, `YYYYMMDDhhmmss`, each part within its range.
fn check_build_id(id: &str) -> Result<(), InvalidBuild> {
    let bad = || InvalidBuild {
        field: BuildField::BuildId,
        problem: format!("{id:?} is not a build id (14 digits, YYYYMMDDhhmmss)"),
    };
    if id.len() != 14 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let part = |range: std::ops::Range<usize>| id[range].parse::<u32>().map_err(|_| bad());
    let (month, day) = (part(4..6)?, part(6..8)?);
    let (hour, minute, second) = (part(8..10)?, part(10..12)?, part(12..14)?);
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    if valid { Ok(()) } else { Err(bad()) }
}

fn check_url(field: BuildField, url: &str) -> Result<(), InvalidBuild> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let problem = match rest {
        None => format!("{url:?} is not an http(s) URL"),
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("{url:?} has no host")
        }
        Some(_) if url.len() > MAX_URL => format!("must be at most {MAX_URL} characters"),
        Some(_) if url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            format!("{url:?} must not contain spaces")
        }
        Some(_) => return Ok(()),
    };
    Err(InvalidBuild { field, problem })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build() -> NewBuild {
        NewBuild {
            product: " Firefox ".into(),
            build_id: "20181029185105".into(),
            version: "64.0b4".into(),
            channel: "Beta".into(),
            platform: "linux-x86_64".into(),
            os: Some("linux".into()),
            locale: "en-US".into(),
            repository_url: Some("https://hg.mozilla.org/releases/mozilla-beta".into()),
            revision: None,
            job: None,
            download_url: Some("https://archive.mozilla.org/pub/firefox/x.tar.bz2".into()),
            mimetype: Some("application/x-bzip2".into()),
            size: Some(62_533_287),
            published_at: None,
            built_at: None,
        }
    }

    /// The field and problem `change` leads to, or `None` when the build stays valid.
    fn check(change: impl FnOnce(&mut NewBuild)) -> Option<(&'static str, String)> {
        let mut b = build();
        change(&mut b);
        b.check().err().map(|e| (e.field.graphql_name(), e.problem))
    }

    #[test]
    fn normalises_product_and_channel() {
        let mut b = build();
        b.check().unwrap();
        assert_eq!(
            (b.product.as_str(), b.channel.as_str()),
            ("firefox", "beta")
        );
        assert_eq!(b.locale, "en-US");
    }

    #[test]
    fn accepts_real_versions_and_any_product() {
        for version in ["64.0b4", "63.0.3", "60.3.0esr", "65.0a1", "68.0.1-build2"] {
            assert_eq!(check(|b| b.version = version.into()), None, "{version}");
        }
        assert_eq!(check(|b| b.product = "SeaMonkey".into()), None);
        assert_eq!(check(|b| b.build_id = "20181231235960".into()), None);
    }

    /// A change to a valid record, the field it breaks, and a phrase of the problem.
    type Case = (Box<dyn FnOnce(&mut NewBuild)>, &'static str, &'static str);

    #[test]
    fn refuses_each_broken_field_by_name() {
        let cases: Vec<Case> = vec![
            (
                Box::new(|b| b.build_id = "2018102918510".into()),
                "buildId",
                "is not a build id",
            ),
            (
                Box::new(|b| b.build_id = "2018102918510x".into()),
                "buildId",
                "is not a build id",
            ),
            (
                Box::new(|b| b.build_id = "20181329185105".into()),
                "buildId",
                "is not a build id",
            ),
            (
                Box::new(|b| b.build_id = "20181029245105".into()),
                "buildId",
                "is not a build id",
            ),
            (
                Box::new(|b| b.product = "  ".into()),
                "product",
                "must not be empty",
            ),
            (
                Box::new(|b| b.version = "beta4".into()),
                "version",
                "is not a version",
            ),
            (
                Box::new(|b| b.version = "".into()),
                "version",
                "must not be empty",
            ),
            (
                Box::new(|b| b.platform = "linux x86".into()),
                "platform",
                "must not contain spaces",
            ),
            (
                Box::new(|b| b.locale = "x".repeat(101)),
                "locale",
                "at most 100",
            ),
            (
                Box::new(|b| b.os = Some(String::new())),
                "os",
                "must not be empty",
            ),
            (
                Box::new(|b| b.download_url = Some("ftp://ftp.mozilla.org/x".into())),
                "downloadUrl",
                "not an http(s) URL",
            ),
            (
                Box::new(|b| b.repository_url = Some("https:///x".into())),
                "repositoryUrl",
                "has no host",
            ),
            (Box::new(|b| b.size = Some(-1)), "size", "is negative"),
            (
                Box::new(|b| b.job = Some("".into())),
                "job",
                "must be 1 to 200",
            ),
        ];
        for (change, field, problem) in cases {
            let (got_field, got) = check(change).expect("refused");
            assert_eq!(got_field, field, "{got}");
            assert!(got.contains(problem), "{field}: {got}");
        }
    }

    #[test]
    fn fields_have_a_buildhub_path_and_a_graphql_name() {
        assert_eq!(BuildField::BuildId.buildhub_path(), "build.id");
        assert_eq!(BuildField::PublishedAt.buildhub_path(), "download.date");
        assert_eq!(BuildField::DownloadUrl.graphql_name(), "downloadUrl");
    }
}
