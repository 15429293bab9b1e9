"use strict";
var __extends = (this && this.__extends) || (function () {
    var extendStatics = function (d, b) {
        extendStatics = Object.setPrototypeOf ||
            ({ __proto__: [] } instanceof Array && function (d, b) { d.__proto__ = b; }) ||
            function (d, b) { for (var p in b) if (Object.prototype.hasOwnProperty.call(b, p)) d[p] = b[p]; };
        return extendStatics(d, b);
    };
    return function (d, b) {
        if (typeof b !== "function" && b !== null)
            throw new TypeError("Class extends value " + String(b) + " is not a constructor or null");
        extendStatics(d, b);
        function __() { this.constructor = d; }
        d.prototype = b === null ? Object.create(b) : (__.prototype = b.prototype, new __());
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.program0 = void 0;
var effect_1 = require("effect");
var S0 = /** @class */ (function (_super) {
    __extends(S0, _super);
    function S0() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S0;
}(effect_1.Context.Tag("S0")()));
var S1 = /** @class */ (function (_super) {
    __extends(S1, _super);
    function S1() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S1;
}(effect_1.Context.Tag("S1")()));
var S2 = /** @class */ (function (_super) {
    __extends(S2, _super);
    function S2() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S2;
}(effect_1.Context.Tag("S2")()));
var S3 = /** @class */ (function (_super) {
    __extends(S3, _super);
    function S3() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S3;
}(effect_1.Context.Tag("S3")()));
var S4 = /** @class */ (function (_super) {
    __extends(S4, _super);
    function S4() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S4;
}(effect_1.Context.Tag("S4")()));
var S5 = /** @class */ (function (_super) {
    __extends(S5, _super);
    function S5() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S5;
}(effect_1.Context.Tag("S5")()));
var S6 = /** @class */ (function (_super) {
    __extends(S6, _super);
    function S6() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S6;
}(effect_1.Context.Tag("S6")()));
var S7 = /** @class */ (function (_super) {
    __extends(S7, _super);
    function S7() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S7;
}(effect_1.Context.Tag("S7")()));
var S8 = /** @class */ (function (_super) {
    __extends(S8, _super);
    function S8() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S8;
}(effect_1.Context.Tag("S8")()));
var S9 = /** @class */ (function (_super) {
    __extends(S9, _super);
    function S9() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S9;
}(effect_1.Context.Tag("S9")()));
var S10 = /** @class */ (function (_super) {
    __extends(S10, _super);
    function S10() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S10;
}(effect_1.Context.Tag("S10")()));
var S11 = /** @class */ (function (_super) {
    __extends(S11, _super);
    function S11() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S11;
}(effect_1.Context.Tag("S11")()));
var S12 = /** @class */ (function (_super) {
    __extends(S12, _super);
    function S12() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S12;
}(effect_1.Context.Tag("S12")()));
var S13 = /** @class */ (function (_super) {
    __extends(S13, _super);
    function S13() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S13;
}(effect_1.Context.Tag("S13")()));
var S14 = /** @class */ (function (_super) {
    __extends(S14, _super);
    function S14() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S14;
}(effect_1.Context.Tag("S14")()));
var S15 = /** @class */ (function (_super) {
    __extends(S15, _super);
    function S15() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S15;
}(effect_1.Context.Tag("S15")()));
var S16 = /** @class */ (function (_super) {
    __extends(S16, _super);
    function S16() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S16;
}(effect_1.Context.Tag("S16")()));
var S17 = /** @class */ (function (_super) {
    __extends(S17, _super);
    function S17() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S17;
}(effect_1.Context.Tag("S17")()));
var S18 = /** @class */ (function (_super) {
    __extends(S18, _super);
    function S18() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S18;
}(effect_1.Context.Tag("S18")()));
var S19 = /** @class */ (function (_super) {
    __extends(S19, _super);
    function S19() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S19;
}(effect_1.Context.Tag("S19")()));
var S20 = /** @class */ (function (_super) {
    __extends(S20, _super);
    function S20() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S20;
}(effect_1.Context.Tag("S20")()));
var S21 = /** @class */ (function (_super) {
    __extends(S21, _super);
    function S21() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S21;
}(effect_1.Context.Tag("S21")()));
var S22 = /** @class */ (function (_super) {
    __extends(S22, _super);
    function S22() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S22;
}(effect_1.Context.Tag("S22")()));
var S23 = /** @class */ (function (_super) {
    __extends(S23, _super);
    function S23() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S23;
}(effect_1.Context.Tag("S23")()));
var S24 = /** @class */ (function (_super) {
    __extends(S24, _super);
    function S24() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S24;
}(effect_1.Context.Tag("S24")()));
var S25 = /** @class */ (function (_super) {
    __extends(S25, _super);
    function S25() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S25;
}(effect_1.Context.Tag("S25")()));
var S26 = /** @class */ (function (_super) {
    __extends(S26, _super);
    function S26() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S26;
}(effect_1.Context.Tag("S26")()));
var S27 = /** @class */ (function (_super) {
    __extends(S27, _super);
    function S27() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S27;
}(effect_1.Context.Tag("S27")()));
var S28 = /** @class */ (function (_super) {
    __extends(S28, _super);
    function S28() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S28;
}(effect_1.Context.Tag("S28")()));
var S29 = /** @class */ (function (_super) {
    __extends(S29, _super);
    function S29() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S29;
}(effect_1.Context.Tag("S29")()));
var S30 = /** @class */ (function (_super) {
    __extends(S30, _super);
    function S30() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S30;
}(effect_1.Context.Tag("S30")()));
var S31 = /** @class */ (function (_super) {
    __extends(S31, _super);
    function S31() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S31;
}(effect_1.Context.Tag("S31")()));
var S32 = /** @class */ (function (_super) {
    __extends(S32, _super);
    function S32() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S32;
}(effect_1.Context.Tag("S32")()));
var S33 = /** @class */ (function (_super) {
    __extends(S33, _super);
    function S33() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S33;
}(effect_1.Context.Tag("S33")()));
var S34 = /** @class */ (function (_super) {
    __extends(S34, _super);
    function S34() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S34;
}(effect_1.Context.Tag("S34")()));
var S35 = /** @class */ (function (_super) {
    __extends(S35, _super);
    function S35() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S35;
}(effect_1.Context.Tag("S35")()));
var S36 = /** @class */ (function (_super) {
    __extends(S36, _super);
    function S36() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S36;
}(effect_1.Context.Tag("S36")()));
var S37 = /** @class */ (function (_super) {
    __extends(S37, _super);
    function S37() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S37;
}(effect_1.Context.Tag("S37")()));
var S38 = /** @class */ (function (_super) {
    __extends(S38, _super);
    function S38() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S38;
}(effect_1.Context.Tag("S38")()));
var S39 = /** @class */ (function (_super) {
    __extends(S39, _super);
    function S39() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S39;
}(effect_1.Context.Tag("S39")()));
var S40 = /** @class */ (function (_super) {
    __extends(S40, _super);
    function S40() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S40;
}(effect_1.Context.Tag("S40")()));
var S41 = /** @class */ (function (_super) {
    __extends(S41, _super);
    function S41() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S41;
}(effect_1.Context.Tag("S41")()));
var S42 = /** @class */ (function (_super) {
    __extends(S42, _super);
    function S42() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S42;
}(effect_1.Context.Tag("S42")()));
var S43 = /** @class */ (function (_super) {
    __extends(S43, _super);
    function S43() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S43;
}(effect_1.Context.Tag("S43")()));
var S44 = /** @class */ (function (_super) {
    __extends(S44, _super);
    function S44() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S44;
}(effect_1.Context.Tag("S44")()));
var S45 = /** @class */ (function (_super) {
    __extends(S45, _super);
    function S45() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S45;
}(effect_1.Context.Tag("S45")()));
var S46 = /** @class */ (function (_super) {
    __extends(S46, _super);
    function S46() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S46;
}(effect_1.Context.Tag("S46")()));
var S47 = /** @class */ (function (_super) {
    __extends(S47, _super);
    function S47() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S47;
}(effect_1.Context.Tag("S47")()));
var S48 = /** @class */ (function (_super) {
    __extends(S48, _super);
    function S48() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S48;
}(effect_1.Context.Tag("S48")()));
var S49 = /** @class */ (function (_super) {
    __extends(S49, _super);
    function S49() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return S49;
}(effect_1.Context.Tag("S49")()));
var L0 = effect_1.Layer.effect(S0, effect_1.Effect.succeed({ n: 0 }));
var L1 = effect_1.Layer.effect(S1, effect_1.Effect.flatMap(S0, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L2 = effect_1.Layer.effect(S2, effect_1.Effect.flatMap(S1, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L3 = effect_1.Layer.effect(S3, effect_1.Effect.flatMap(S2, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L4 = effect_1.Layer.effect(S4, effect_1.Effect.flatMap(S3, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L5 = effect_1.Layer.effect(S5, effect_1.Effect.flatMap(S4, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L6 = effect_1.Layer.effect(S6, effect_1.Effect.flatMap(S5, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L7 = effect_1.Layer.effect(S7, effect_1.Effect.flatMap(S6, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L8 = effect_1.Layer.effect(S8, effect_1.Effect.flatMap(S7, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L9 = effect_1.Layer.effect(S9, effect_1.Effect.flatMap(S8, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L10 = effect_1.Layer.effect(S10, effect_1.Effect.flatMap(S9, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L11 = effect_1.Layer.effect(S11, effect_1.Effect.flatMap(S10, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L12 = effect_1.Layer.effect(S12, effect_1.Effect.flatMap(S11, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L13 = effect_1.Layer.effect(S13, effect_1.Effect.flatMap(S12, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L14 = effect_1.Layer.effect(S14, effect_1.Effect.flatMap(S13, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L15 = effect_1.Layer.effect(S15, effect_1.Effect.flatMap(S14, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L16 = effect_1.Layer.effect(S16, effect_1.Effect.flatMap(S15, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L17 = effect_1.Layer.effect(S17, effect_1.Effect.flatMap(S16, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L18 = effect_1.Layer.effect(S18, effect_1.Effect.flatMap(S17, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L19 = effect_1.Layer.effect(S19, effect_1.Effect.flatMap(S18, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L20 = effect_1.Layer.effect(S20, effect_1.Effect.flatMap(S19, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L21 = effect_1.Layer.effect(S21, effect_1.Effect.flatMap(S20, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L22 = effect_1.Layer.effect(S22, effect_1.Effect.flatMap(S21, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L23 = effect_1.Layer.effect(S23, effect_1.Effect.flatMap(S22, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L24 = effect_1.Layer.effect(S24, effect_1.Effect.flatMap(S23, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L25 = effect_1.Layer.effect(S25, effect_1.Effect.flatMap(S24, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L26 = effect_1.Layer.effect(S26, effect_1.Effect.flatMap(S25, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L27 = effect_1.Layer.effect(S27, effect_1.Effect.flatMap(S26, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L28 = effect_1.Layer.effect(S28, effect_1.Effect.flatMap(S27, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L29 = effect_1.Layer.effect(S29, effect_1.Effect.flatMap(S28, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L30 = effect_1.Layer.effect(S30, effect_1.Effect.flatMap(S29, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L31 = effect_1.Layer.effect(S31, effect_1.Effect.flatMap(S30, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L32 = effect_1.Layer.effect(S32, effect_1.Effect.flatMap(S31, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L33 = effect_1.Layer.effect(S33, effect_1.Effect.flatMap(S32, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L34 = effect_1.Layer.effect(S34, effect_1.Effect.flatMap(S33, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L35 = effect_1.Layer.effect(S35, effect_1.Effect.flatMap(S34, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L36 = effect_1.Layer.effect(S36, effect_1.Effect.flatMap(S35, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L37 = effect_1.Layer.effect(S37, effect_1.Effect.flatMap(S36, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L38 = effect_1.Layer.effect(S38, effect_1.Effect.flatMap(S37, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L39 = effect_1.Layer.effect(S39, effect_1.Effect.flatMap(S38, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L40 = effect_1.Layer.effect(S40, effect_1.Effect.flatMap(S39, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L41 = effect_1.Layer.effect(S41, effect_1.Effect.flatMap(S40, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L42 = effect_1.Layer.effect(S42, effect_1.Effect.flatMap(S41, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L43 = effect_1.Layer.effect(S43, effect_1.Effect.flatMap(S42, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L44 = effect_1.Layer.effect(S44, effect_1.Effect.flatMap(S43, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L45 = effect_1.Layer.effect(S45, effect_1.Effect.flatMap(S44, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L46 = effect_1.Layer.effect(S46, effect_1.Effect.flatMap(S45, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L47 = effect_1.Layer.effect(S47, effect_1.Effect.flatMap(S46, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L48 = effect_1.Layer.effect(S48, effect_1.Effect.flatMap(S47, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
var L49 = effect_1.Layer.effect(S49, effect_1.Effect.flatMap(S48, function (s) { return effect_1.Effect.succeed({ n: s.n + 1 }); }));
exports.program0 = [L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23, L24, L25, L26, L27, L28, L29, L30, L31, L32, L33, L34, L35, L36, L37, L38, L39, L40, L41, L42, L43, L44, L45, L46, L47, L48, L49];
