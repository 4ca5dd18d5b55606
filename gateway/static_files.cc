#include "gateway/static_files.h"

#include <filesystem>
#include <map>
#include <system_error>

namespace aftercare::gateway {
namespace fs = std::filesystem;

std::string content_type_for(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".webmanifest", "application/manifest+json; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
      {".pdf", "application/pdf"},
  };
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

bool reserved_path(const std::string& p) {
  return p == "/v1" || p.starts_with("/v1/") || p == "/healthz" || p == "/metrics" ||
         p == "/openapi.json";
}

StaticFiles::StaticFiles(std::string root) {
  if (root.empty()) return;
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_regular_file(canonical / "index.html", ec)) return;
  root_ = canonical.string();
}

std::optional<StaticFiles::File> StaticFiles::resolve(const std::string& url_path,
                                                      bool accepts_html) const {
  if (root_.empty() || reserved_path(url_path) || !url_path.starts_with("/")) return std::nullopt;
  auto index = [&]() -> std::optional<File> {
    return File{root_ + "/index.html", "text/html; charset=utf-8", "no-cache"};
  };
  // Reject anything that could climb out of the root before touching the file system.
  if (url_path.find('\0') != std::string::npos || url_path.find('\\') != std::string::npos)
    return std::nullopt;
  fs::path relative = fs::path(url_path.substr(1)).lexically_normal();
  if (relative.empty() || relative == ".") return index();
  for (const auto& part : relative)
    if (part == "..") return std::nullopt;
  std::error_code ec;
  fs::path candidate = fs::weakly_canonical(fs::path(root_) / relative, ec);
  std::string text = candidate.string();
  bool inside =
      !ec && text.size() > root_.size() && text.starts_with(root_) && text[root_.size()] == '/';
  if (inside && fs::is_regular_file(candidate, ec)) {
    // Vite's hashed bundles never change under the same name; everything else is revalidated.
    bool hashed = relative.begin() != relative.end() && *relative.begin() == "assets";
    return File{text, content_type_for(text),
                hashed ? "public, max-age=31536000, immutable" : "no-cache"};
  }
  // A client-side route (/tickets/123) gets the app; a missing asset (/assets/x.js) is a 404.
  if (!relative.has_extension() || accepts_html) return index();
  return std::nullopt;
}

std::string default_web_root() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  fs::path dist = exe.parent_path() / "web" / "dist";
  return fs::is_regular_file(dist / "index.html", ec) ? dist.string() : "";
}

}  // namespace aftercare::gateway
