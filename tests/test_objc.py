"""The generated Objective-C API compiles for iOS (arm64 device, simulators) with ARC and
-Wall -Wextra -Werror, needs no C++ runtime, and its module map imports.

Against the real iOS SDK when one is installed (xcrun); otherwise against the test
stand-in of Foundation in bindings/apple-standin/Foundation (declarations only)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bindings_helpers import NAMES, ROOT

from sdkbuild import bindings, engine_sources, paths
from sdkbuild.package import xcframework

CLANG = shutil.which("clang")
NM = xcframework.find_tool("llvm-nm")
OBJDUMP = xcframework.find_tool("llvm-objdump")
pytestmark = pytest.mark.skipif(CLANG is None or NM is None or OBJDUMP is None, reason="needs clang and llvm tools")

TRIPLES = {
    "ios-arm64": ("arm64-apple-ios13.0", "ios"),
    "ios-simulator-arm64": ("arm64-apple-ios14.0-simulator", "iossimulator"),
    "ios-simulator-x86_64": ("x86_64-apple-ios13.0-simulator", "iossimulator"),
}


def _sdk_flags(variant: str) -> list[str]:
    """-isysroot of the real SDK when Xcode exists, else the Foundation stand-in."""
    xcrun = shutil.which("xcrun")
    if xcrun:
        sdk = "iphonesimulator" if variant == "iossimulator" else "iphoneos"
        r = subprocess.run([xcrun, "--sdk", sdk, "--show-sdk-path"], capture_output=True, text=True)
        if r.returncode == 0:
            return ["-isysroot", r.stdout.strip()]
    return ["-nostdlibinc", "-isystem", str(ROOT / "bindings" / "apple-standin")]


@pytest.fixture(scope="module")
def objc_src(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("objc")
    bindings.render(NAMES, out, ["objc"])
    return out / "objc"


def _compile(src: Path, triple: str, variant: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [CLANG, "-target", triple, *_sdk_flags(variant), "-nostdinc++", *xcframework.OBJC_FLAGS,
           "-Wnullability-completeness", "-Wnullable-to-nonnull-conversion",
           "-I", str(src.parent), "-I", str(src.parent.parent / "include"), *extra, "-c", str(src), "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.mark.parametrize("target", sorted(TRIPLES))
def test_objc_compiles_for_ios_with_arc_and_werror(objc_src, tmp_path, target):
    triple, platform = TRIPLES[target]
    obj = tmp_path / "JniKit.o"
    r = _compile(objc_src / "JniKit.mm", triple, platform, obj)
    assert r.returncode == 0, r.stderr
    headers = subprocess.run([OBJDUMP, "--macho", "--private-headers", str(obj)], capture_output=True, text=True).stdout
    assert re.search(rf"platform {platform}\b", headers), headers[:2000]
    defined = subprocess.run([NM, "--defined-only", "-j", str(obj)], capture_output=True, text=True).stdout.split()
    for cls in ("Model", "Session", "TensorInfo", "Engine"):
        assert f"_OBJC_CLASS_$_JK{cls}" in defined
    assert "_JKErrorDomain" in defined
    undefined = subprocess.run([NM, "-u", "-j", str(obj)], capture_output=True, text=True).stdout.split()
    # no C++ runtime: the object links into an app with only libobjc + Foundation + libSystem
    assert not [u for u in undefined if re.search(r"cxa|gxx|Unwind|terminate|_Z", u)], undefined
    # it calls the SDK's own prefixed C API, and every name it calls is one engine.h declares
    engine_h = (paths.engine_dir() / "include/sdkengine/engine.h").read_text()
    called = [u[1:] for u in undefined if "sdk_" in u and not u.startswith("_OBJC")]
    assert called and all(fn.startswith("jnikit_sdk_") for fn in called), called
    for fn in called:
        assert re.search(rf"\b{fn.removeprefix('jnikit_')}\(", engine_h), fn


def test_objc_header_is_nullability_complete_and_has_swift_names(objc_src):
    h = (objc_src / "JniKit.h").read_text()
    assert "NS_ASSUME_NONNULL_BEGIN" in h and "NS_ASSUME_NONNULL_END" in h
    assert "FOUNDATION_EXPORT NSErrorDomain const JKErrorDomain;" in h
    assert "NS_ERROR_ENUM(JKErrorDomain, JKErrorCode)" in h
    for name in ("Model", "Session", "TensorInfo", "Engine"):
        assert f"NS_SWIFT_NAME({name})\n@interface JK{name} : NSObject" in h
    # every fallible method reports through NSError **
    assert h.count("error:(NSError **)error") >= 10
    # one designated initializer; the thread-safe model (and the immutable values) are Sendable,
    # the session is not
    assert h.count("NS_DESIGNATED_INITIALIZER") == 1
    assert re.search(r"initWithData:\(NSData \*\)data\s+options:\(nullable JKModelOptions \*\)options\s+"
                     r"error:\(NSError \*\*\)error NS_DESIGNATED_INITIALIZER NS_SWIFT_NAME\(init\(data:options:\)\);", h)
    # memory limits: option objects (Swift: ModelOptions, SessionOptions) taken by every load and by sessions
    for name in ("ModelOptions", "SessionOptions"):
        assert f"NS_SWIFT_NAME({name})\n@interface JK{name} : NSObject" in h
    assert "@property (nonatomic) NSInteger maxModelBytes;" in h and "@property (nonatomic) NSInteger maxSessionBytes;" in h
    assert "@property (class, nonatomic, readonly) NSInteger defaultMaxModelBytes;" in h
    assert "1073741824 bytes (1 GiB)" in h
    for swift in ("init(data:options:)", "init(contentsOf:options:)", "init(path:options:)", "makeSession(options:)",
                  "init(encryptedData:key:options:decrypt:)"):
        assert f"NS_SWIFT_NAME({swift})" in h, swift
    # encrypted models: the container is read here, AES-GCM is the caller's block (CryptoKit in Swift)
    assert "typedef NSData *_Nullable (^JKModelDecryptor)(NSData *key, NSData *nonce, NSData *ciphertext, NSData *tag," in h
    assert "decrypt:(NS_NOESCAPE JKModelDecryptor)decrypt" in h
    assert "import JniKitCrypto" in h
    assert "NS_SWIFT_SENDABLE NS_SWIFT_NAME(Model)\n@interface JKModel" in h
    assert "NS_SWIFT_NONSENDABLE NS_SWIFT_NAME(Session)\n@interface JKSession" in h
    for ctype, name in (("int8_t", "Int8s"), ("uint8_t", "UInt8s"), ("int32_t", "Int32s"), ("int64_t", "Int64s"),
                        ("bool", "Bools"), ("uint16_t", "Float16Bits")):
        assert f"- (BOOL)setInput{name}:(const {ctype} *)values count:(NSUInteger)count" in h
        assert f"to{name}:({ctype} *)values count:(NSUInteger)count" in h
    assert "setInputNumbers:(NSArray<NSNumber *> *)numbers" in h and "outputNumbersAtIndex:" in h
    assert '#include "jnikit/engine.h"' in h and "sdkengine" not in h
    api = bindings.load_api()
    for s in api.statuses:
        if s.code:
            assert f"JKErrorCode{s.name.title().replace('_', '')} = {s.code}," in h


def test_module_map_imports_in_objc(objc_src, tmp_path):
    headers = tmp_path / "Headers"
    (headers / "jnikit").mkdir(parents=True)
    for f in ("JniKit.h", "module.modulemap"):
        shutil.copy(objc_src / f, headers / f)
    shutil.copy(objc_src.parent / "include/jnikit/engine.h", headers / "jnikit/engine.h")
    user = tmp_path / "use.m"
    user.write_text(
        "@import JniKit;\n"
        "int use(NSString *path) {\n"
        "    NSError *error = nil;\n"
        "    JKModel *model = [[JKModel alloc] initWithPath:path error:&error];\n"
        "    if (model == nil) return (int)error.code;\n"
        "    JKModelOptions *limits = [[JKModelOptions alloc] init];\n"
        "    limits.maxModelBytes = JKModelOptions.defaultMaxModelBytes / 2;\n"
        "    JKModel *small = [[JKModel alloc] initWithContentsOfURL:[NSURL fileURLWithPath:path] options:limits\n"
        "                                                      error:&error];\n"
        "    JKModel *sealed = [[JKModel alloc] initWithEncryptedData:[NSData dataWithBytes:\"SDKE\" length:4]\n"
        "        key:[NSData dataWithBytes:\"0123456789abcdef0123456789abcdef\" length:32] options:nil\n"
        "        decrypt:^NSData *_Nullable(NSData *key, NSData *nonce, NSData *ciphertext, NSData *tag,\n"
        "                                  NSData *header) { return key && nonce && tag && header ? ciphertext : nil; }\n"
        "        error:&error];\n"
        "    if (small == nil || sealed == nil) return (int)error.code;\n"
        "    JKSessionOptions *options = [[JKSessionOptions alloc] init];\n"
        "    options.threads = 2;\n"
        "    options.maxSessionBytes = 1 << 20;\n"
        "    if ([small sessionWithOptions:options error:&error] == nil) return (int)JKErrorCodeOutOfMemory;\n"
        "    JKSession *session = [model sessionWithThreads:1 error:&error];\n"
        "    float x[6] = {0};\n"
        "    if (![session setInputFloats:x count:6 atIndex:0 error:&error]) return -1;\n"
        "    if (![session runWithError:&error]) return (int)JKErrorCodeState;\n"
        "    return (int)[session outputFloatsAtIndex:0 error:&error].length + jnikit_sdk_model_input_count(NULL);\n"
        "}\n"
    )
    cmd = [CLANG, "-target", "arm64-apple-ios13.0", *_sdk_flags("ios"), "-fmodules",
           f"-fmodules-cache-path={tmp_path / 'mc'}", "-fobjc-arc", "-Wall", "-Werror", "-I", str(headers),
           "-fsyntax-only", str(user)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_objc_compiles_through_the_slice_toolchain(tmp_path):
    """What `sdkbuild package` does when a slice lacks the ObjC layer: compile it with zig."""
    pytest.importorskip("ziglang")
    engine_inc = tmp_path / "include"  # what a slice's build installs: the SDK's prefixed header
    (engine_inc / "jnikit").mkdir(parents=True)
    (engine_inc / "jnikit/engine.h").write_text(engine_sources.public_header("jnikit"))
    for target, (_, platform) in TRIPLES.items():
        obj, real_sdk = xcframework.compile_objc(NAMES, target, tmp_path / "build", engine_inc)
        assert obj == tmp_path / "build" / target / "bindings/objc/JniKit.mm.o"
        assert real_sdk == bool(shutil.which("xcrun"))  # else the Foundation stand-in: a stand-in slice
        headers = subprocess.run([OBJDUMP, "--macho", "--private-headers", str(obj)],
                                 capture_output=True, text=True).stdout
        assert re.search(rf"platform {platform}\b", headers)
        defined = subprocess.run([NM, "--defined-only", "-j", str(obj)], capture_output=True, text=True).stdout
        assert "_OBJC_CLASS_$_JKSession" in defined


def _swift_tree(text: str):
    """The tree-sitter-swift parse of `text` (syntax only: no Swift compiler exists here)."""
    ts = pytest.importorskip("tree_sitter")
    swift = pytest.importorskip("tree_sitter_swift")
    tree = ts.Parser(ts.Language(swift.language())).parse(text.encode())

    def errors(node) -> list[str]:
        bad = [f"{node.type} at {node.start_point}"] if node.type == "ERROR" or node.is_missing else []
        return bad + [e for c in node.children for e in errors(c)]

    assert not errors(tree.root_node), (errors(tree.root_node), text)
    return tree


def test_swift_crypto_module_parses_and_uses_cryptokit_as_the_container_needs(objc_src):
    """The Swift package's source target: Model(contentsOf:key:) / Model(data:key:) hand
    CryptoKit's AES.GCM.open to the Objective-C initializer that reads the container. Parsed
    with tree-sitter-swift; it cannot be type-checked without a Swift compiler."""
    text = (objc_src.parent / "swift/JniKitCrypto/JniKitCrypto.swift").read_text()
    tree = _swift_tree(text)
    imports = [n.text.decode() for n in tree.root_node.children if n.type == "import_declaration"]
    assert imports == ["import CryptoKit", "import Foundation", "import JniKit"]
    ext = [n for n in tree.root_node.children if n.type == "class_declaration"]
    assert len(ext) == 1 and ext[0].text.decode().startswith("@available(iOS 13.0, macOS 10.15, *)\nextension Model {")
    inits = [n for n in ext[0].child_by_field_name("body").children if n.type == "init_declaration"]
    assert len(inits) == 2
    code = re.sub(r"//[^\n]*", "", text)
    # the public initializers, each a thin layer over the Objective-C one (which the header declares)
    assert "public convenience init(contentsOf url: URL, key: Data, options: ModelOptions? = nil) throws" in code
    assert "public convenience init(data: Data, key: Data, options: ModelOptions? = nil) throws" in code
    assert "try self.init(encryptedData: data, key: key, options: options) { secret, nonce, ciphertext, tag, header in" \
        in code
    h = (objc_src / "JniKit.h").read_text()
    assert "NS_SWIFT_NAME(init(encryptedData:key:options:decrypt:))" in h and "NS_SWIFT_NAME(ModelOptions)" in h
    # AES-256-GCM as protect.py seals it: nonce + ciphertext + 16-byte tag, the header authenticated
    assert "AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)" in code
    assert "AES.GCM.open(box, using: SymmetricKey(data: secret), authenticating: header)" in code
    assert "Data(contentsOf: url, options: .mappedIfSafe)" in code


def test_package_swift_builds_the_crypto_module_from_the_packaged_source():
    from bindings_helpers import NAMES

    for url in (None, "https://example.com/sdk"):
        manifest = xcframework.render_package_swift(NAMES, "JniKit.xcframework", "ab" * 32, url)
        tree = _swift_tree(manifest)
        assert tree.root_node.children
        assert '.library(name: "JniKit", targets: ["JniKit", "JniKitCrypto"])' in manifest
        assert re.search(r'\.target\(\s+name: "JniKitCrypto",\s+dependencies: \["JniKit"\],\s+'
                         r'path: "Sources/JniKitCrypto"\s+\)', manifest), manifest
