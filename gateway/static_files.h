// The web console (gateway/web, built into <build>/gateway/web/dist) served at `/`: files from one
// directory with their content types; any other GET path that is not the API's falls back to
// index.html so the single-page app can route on the client. /v1, /healthz, /metrics and
// /openapi.json are never shadowed: the gateway registers this handler last, and it answers
// unknown /v1 paths with the API's JSON 404 itself.
#pragma once

#include <optional>
#include <string>

namespace aftercare::gateway {

// "text/javascript; charset=utf-8" for "app.js"; application/octet-stream for unknown extensions.
std::string content_type_for(const std::string& path);

// True for paths the SPA must never answer: the API and the gateway's own endpoints.
bool reserved_path(const std::string& url_path);

class StaticFiles {
 public:
  // `root` is a directory holding index.html; an empty or missing one serves nothing.
  explicit StaticFiles(std::string root);
  bool enabled() const { return !root_.empty(); }
  const std::string& root() const { return root_; }

  struct File {
    std::string path;  // absolute path of the file to send
    std::string content_type;
    std::string cache_control;
  };
  // What to send for a GET of `url_path` (already percent-decoded, no query string): the file if
  // it exists under the root (no escaping it with .. or symlinks), else index.html for a
  // client-side route (a last segment without an extension, or `accepts_html`), else nothing (404).
  std::optional<File> resolve(const std::string& url_path, bool accepts_html) const;

 private:
  std::string root_;  // canonical, no trailing slash
};

// The default directory to serve when AFTERCARE_WEB_ROOT is not set: `web/dist` beside the gateway
// executable (the build tree's <build>/gateway/web/dist) if it holds index.html, else "" (off).
std::string default_web_root();

}  // namespace aftercare::gateway
