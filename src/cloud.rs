//! The Partner Center clouds: where the API lives and where tokens come from.

/// A Partner Center cloud.
///
/// Each cloud names the API's base URL, the Entra ID authority that issues
/// tokens for it, and the resource (audience) those tokens are for.
///
/// | Cloud | API base URL | Token authority |
/// |---|---|---|
/// | `Global` | `https://api.partnercenter.microsoft.com` | `https://login.microsoftonline.com` |
/// | `UsGov` | `https://api.partnercenter.microsoft.com` | `https://login.microsoftonline.us` |
/// | `China` (21Vianet) | `https://partner.partnercenterapi.microsoftonline.cn` | `https://login.partner.microsoftonline.cn` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Cloud {
    /// The public cloud (the default).
    #[default]
    Global,
    /// Microsoft Cloud for US Government: the global API host, with tokens
    /// from the US Government authority.
    UsGov,
    /// Partner Center operated by 21Vianet in China.
    China,
}

impl Cloud {
    /// The API's base URL, without the `/v1` prefix or a trailing slash.
    pub fn api_base_url(self) -> &'static str {
        match self {
            Cloud::Global | Cloud::UsGov => "https://api.partnercenter.microsoft.com",
            Cloud::China => "https://partner.partnercenterapi.microsoftonline.cn",
        }
    }

    /// The Entra ID authority that issues tokens, without a trailing slash.
    /// 21Vianet's is `https://login.partner.microsoftonline.cn` (before this
    /// crate's 2026 update it was given as `login.chinacloudapi.cn`).
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGov => "https://login.microsoftonline.us",
            Cloud::China => "https://login.partner.microsoftonline.cn",
        }
    }

    /// The resource (audience) of Partner Center tokens; app-only tokens ask
    /// for the scope `{resource}/.default`.
    pub fn resource(self) -> &'static str {
        self.api_base_url()
    }
}
