// Every public call of the generated Objective-C API (TinyKit's prefix TK), as an app makes them:
// compiled against the packaged XCFramework's headers for arm64 iOS and linked with its device
// archive (tests/test_package.py). The package's prefix is replaced by the test when needed.
#import "TinyKit/TinyKit.h"

static int Check(BOOL ok) { return ok ? 0 : 1; }

int ApiTour(NSString *path, NSURL *url, NSData *data) {
    NSError *error = nil;
    int failures = 0;
    NSString *v = TKEngine.version, *info = TKEngine.buildInfo, *sdk = TKEngine.sdkVersion;
    failures += Check(v.length > 0 && info.length > 0 && sdk.length > 0);

    // loading: a path, a file URL (mapped NSData), NSData in place
    TKModel *byPath = [[TKModel alloc] initWithPath:path error:&error];
    TKModel *byURL = [[TKModel alloc] initWithContentsOfURL:url error:&error];
    TKModel *model = [[TKModel alloc] initWithData:data error:&error];
    if (model == nil) return (int)error.code;
    [byPath close];
    [byURL close];

    // options: memory limits on every load and on sessions
    TKModelOptions *options = [[TKModelOptions alloc] init];
    failures += Check(options.maxModelBytes == TKModelOptions.defaultMaxModelBytes);
    options.maxModelBytes = 64 << 20;
    TKModel *limited[] = {
        [[TKModel alloc] initWithPath:path options:options error:&error],
        [[TKModel alloc] initWithContentsOfURL:url options:options error:&error],
        [[TKModel alloc] initWithData:data options:nil error:&error],
    };
    for (int i = 0; i < 3; ++i) [limited[i] close];
    // an encrypted model: the SDK reads the container, the block does AES-256-GCM (CryptoKit in
    // the Swift module); this block refuses, as on a wrong key
    uint8_t keyBytes[32] = {0};
    TKModel *encrypted = [[TKModel alloc] initWithEncryptedData:data
                                                            key:[NSData dataWithBytes:keyBytes length:sizeof keyBytes]
                                                        options:options
                                                        decrypt:^NSData *_Nullable(NSData *key, NSData *nonce,
                                                                                   NSData *ciphertext, NSData *tag,
                                                                                   NSData *header) {
                                                            return key.length + nonce.length + tag.length + header.length
                                                                       ? nil : ciphertext;
                                                        }
                                                          error:&error];
    [encrypted close];

    NSInteger inputs = model.inputCount, outputs = model.outputCount;
    TKTensorInfo *in = [model inputInfoAtIndex:0 error:&error];
    TKTensorInfo *out = [model outputInfoAtIndex:0 error:&error];
    failures += Check(inputs == 1 && outputs == 1 && in.dtype == TKDTypeF32 && in.byteSize == 24);
    failures += Check(in.elementCount == 6 && in.shape.count == 2 && in.scale == 0.0f && in.zeroPoint == 0);
    failures += Check(in.name.length > 0 && out.name.length > 0);
    failures += Check([model indexOfInputNamed:in.name] == 0 && [model indexOfOutputNamed:out.name] == 0);
    TKMemoryInfo *memory = [model memoryInfoWithError:&error];
    failures += Check(memory.weightsBytes > 0 && memory.arenaLowerBound <= memory.arenaBytes
                      && memory.arenaBytes <= memory.naiveBytes && memory.packedWeightsBytes < 1u << 30);

    TKSessionOptions *sessionOptions = [[TKSessionOptions alloc] init];
    sessionOptions.threads = 2;
    sessionOptions.maxSessionBytes = TKSessionOptions.defaultMaxSessionBytes / 4;
    [[model sessionWithOptions:sessionOptions error:&error] close];
    TKSession *session = [model sessionWithThreads:1 error:&error];
    failures += Check(session.model == model);
    float x[6] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
    [session setInputFloats:x count:6 atIndex:0 error:&error];
    [session runWithError:&error];
    NSData *floats = [session outputFloatsAtIndex:0 error:&error];
    float y[5];
    [session copyOutputAtIndex:0 toFloats:y count:5 error:&error];
    NSData *raw = [session outputDataAtIndex:0 error:&error];
    [session copyOutputAtIndex:0 toBytes:y length:sizeof y error:&error];
    NSArray<NSNumber *> *numbers = [session outputNumbersAtIndex:0 error:&error];
    failures += Check(floats.length == 20 && raw.length == 20 && numbers.count == 5);

    // every typed input and output (on a model with one input of each type, these would run;
    // on this one they report the element type in this API's terms)
    int8_t i8[6] = {0};
    uint8_t u8[6] = {0};
    int32_t i32[6] = {0};
    int64_t i64[6] = {0};
    bool b[6] = {false};
    uint16_t h[6] = {0};
    [session setInputInt8s:i8 count:6 atIndex:0 error:&error];
    [session setInputUInt8s:u8 count:6 atIndex:0 error:&error];
    [session setInputInt32s:i32 count:6 atIndex:0 error:&error];
    [session setInputInt64s:i64 count:6 atIndex:0 error:&error];
    [session setInputBools:b count:6 atIndex:0 error:&error];
    [session setInputFloat16Bits:h count:6 atIndex:0 error:&error];
    [session setInputNumbers:numbers atIndex:0 error:&error];
    [session setInputData:[NSData dataWithBytes:x length:sizeof x] atIndex:0 error:&error];
    [session setInputBytes:x length:sizeof x atIndex:0 error:&error];
    [session runWithError:&error];
    [session copyOutputAtIndex:0 toInt8s:i8 count:5 error:&error];
    [session copyOutputAtIndex:0 toUInt8s:u8 count:5 error:&error];
    [session copyOutputAtIndex:0 toInt32s:i32 count:5 error:&error];
    [session copyOutputAtIndex:0 toInt64s:i64 count:5 error:&error];
    [session copyOutputAtIndex:0 toBools:b count:5 error:&error];
    [session copyOutputAtIndex:0 toFloat16Bits:h count:5 error:&error];
    failures += Check(error.code == TKErrorCodeInvalidArgument && [error.domain isKindOfClass:[NSString class]]);

    // the C API under the SDK's names, next to the Objective-C one
    tinykit_sdk_model *c = NULL;
    failures += Check(tinykit_sdk_model_load_file(path.UTF8String, &c) == TINYKIT_SDK_OK);
    tinykit_sdk_model_free(c);

    [session close];
    [model close];
    return failures;
}
